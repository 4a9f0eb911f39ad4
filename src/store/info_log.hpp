// RocksDB's info log, forwarded to ringpost's log instead of a LOG file in
// the data directory.
//
// Why: on a full disk RocksDB's own file logger fails a write and the next
// message it logs trips an assertion inside librocksdb (Debian builds it
// with assertions on: "AssertFalseAndGetStatusForPrevError"), aborting the
// server exactly when it should keep serving reads. Forwarding writes
// nothing to the data directory, and the warnings RocksDB has (background
// errors, recovery) land in the one log the operator reads anyway.
// Messages below WARN (flush and compaction chatter, the options dump) are
// dropped.
#pragma once

#include <memory>

#include <rocksdb/env.h>

namespace ringpost::store {

std::shared_ptr<rocksdb::Logger> make_info_log();

}  // namespace ringpost::store
