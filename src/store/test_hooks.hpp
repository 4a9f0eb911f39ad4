// Raw access to the store's column families, for unit tests only: they need
// to damage a store on purpose (e.g. drop a schedule entry) to check that
// recover() repairs it, without the tests including RocksDB headers.
// Production code must not call these.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/commit_stage_impl.hpp"
#include "store/store.hpp"
#include "util/result.hpp"

namespace ringpost::store::test_hooks {

// cf is a column family name from keys.hpp. Writes are synced.
Result<void> raw_put(Store& store, std::string_view cf, std::string_view key, std::string_view value);
Result<void> raw_delete(Store& store, std::string_view cf, std::string_view key);
Result<std::optional<std::string>> raw_get(Store& store, std::string_view cf, std::string_view key);
// Flushes every column family's memtable to SST/blob files (the store
// itself never needs to: RocksDB flushes by size, and at open the WAL is
// replayed into memory, see store_open.cpp).
Result<void> flush(Store& store);
// Reports the database stopped, as RocksDB's listener does after a failed
// write (ENOSPC); the space watch resumes it within an interval.
void report_write_stop(Store& store);
// Number of keys in a column family.
Result<size_t> raw_count(Store& store, std::string_view cf);
// Hands `requests` to the store's batch writer as ONE batch, as the commit
// thread would (which batches form on the real stage is up to timing).
// Callbacks are not run. Returns each request's result.
std::vector<Result<void>> write_batch(Store& store, std::span<const CommitRef> requests);

// --- the single-writer path (write_txn.hpp) ---
// A store write request that adds a message record (UID 999) and a mailbox
// meta with uidnext raised by 1000 to its batch, then fails: what is left
// of it after the batch is what a failed request leaves behind.
std::unique_ptr<WriteRequest> failing_request(std::string user, std::string mailbox);
// Requests waiting in the commit stage's queue (not yet taken by a batch).
size_t queued(Store& store);

// --- mailbox listing cost (range_compactor.hpp) ---
// Runs list_messages(user, mailbox) and returns how many deletion markers
// and other invisible entries its iterator stepped over (RocksDB's perf
// context: internal_delete_skipped_count + internal_key_skipped_count).
Result<uint64_t> listing_skips(Store& store, std::string_view user, std::string_view mailbox);
// Waits (up to 60 s) until no mailbox compaction is queued or running;
// returns how many have run.
uint64_t wait_for_compactions(Store& store);

}  // namespace ringpost::store::test_hooks
