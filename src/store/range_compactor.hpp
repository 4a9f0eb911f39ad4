// RangeCompactor: compacts the key range of a mailbox whose history has
// outgrown it, on a thread of its own.
//
// An expunged message leaves a deletion marker in RocksDB. A listing of the
// mailbox (SELECT, EXAMINE, STATUS, POP3) steps over every marker in its key
// range until a compaction drops them -- and the memtable only flushes by
// size, so a mailbox with steady append/expunge traffic got slower with
// every expunge (12,000 expunges: SELECT 0.2 -> 8.3 ms). The commit thread
// counts the markers each mailbox gains (StoreImpl::count_removed_messages)
// and, once they outnumber its live messages (and a floor), hands the range
// here: CompactRange flushes the memtable if it overlaps the range and
// rewrites the range down to the bottom level, where the markers go. So a
// listing costs at most about twice its live messages plus the floor.
//
// request() only queues (commit thread, never blocks on I/O); a range
// already queued is not queued twice. Internal to src/store.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace ringpost::store {

class RangeCompactor {
public:
    RangeCompactor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);
    ~RangeCompactor();  // stop()s
    RangeCompactor(const RangeCompactor&) = delete;
    RangeCompactor& operator=(const RangeCompactor&) = delete;

    // Compact the keys starting with `prefix`, soon.
    void request(const std::string& prefix);
    // Finishes the compaction in progress, drops the rest, joins.
    void stop();
    // Compactions done so far, and whether none is queued or running (tests).
    uint64_t done() const;
    bool idle() const;

private:
    void run();

    rocksdb::DB* db_;
    rocksdb::ColumnFamilyHandle* cf_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> queue_;   // guarded by mu_
    std::set<std::string> queued_;    // guarded by mu_
    bool stopping_ = false;           // guarded by mu_
    bool running_ = false;            // guarded by mu_
    uint64_t done_ = 0;               // guarded by mu_
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace ringpost::store
