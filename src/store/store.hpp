// The durable store: spool (bodies, envelopes, due-time index), mailboxes and
// users, all in one RocksDB database with column families. This header does
// not include RocksDB: src/store is the only code that does (pimpl).
//
// Store owns the database and hands out one facade per concern, each a
// small class over the same private handle (StoreImpl, store_impl.hpp), so
// that code needing one concern names only that one:
//  * users()      users.hpp      accounts; exists() is safe on a ring thread
//  * spool()      spool.hpp      queue listing and removal, due scans, flush
//  * mailboxes()  mailboxes.hpp  the mailbox API of POP3 and IMAP, CLI reads
//  * recovery()   recovery.hpp   the consistency pass at startup
//  * events()     event_log.hpp  the delivery event log and its sinks' cursors
//  * greylist()   greylist_records.hpp  greylisting's records (its save never blocks)
//  * screen()     screen_records.hpp    the screening cache's passes (the same)
// Their calls block: the CLI, the admin socket thread, the delivery
// engine's feeder thread, the protocol servers' small thread pool and
// startup make them, never a ring thread (except Users::exists).
//
// Every write is a request of the commit stage (commit_stage(),
// commit_stage.hpp), whose thread is the store's only writer and batches
// requests into one synced WriteBatch (group commit): accepted messages
// (from sessions), delivery outcomes (from the delivery engine) and the
// facades' writes alike. Accepting only spools; local recipients get their
// INBOX copy through an outcome.
// Key layout: docs/STORAGE.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/event_log.hpp"
#include "store/greylist_records.hpp"
#include "store/mailboxes.hpp"
#include "store/recovery.hpp"
#include "store/screen_records.hpp"
#include "store/spool.hpp"
#include "store/store_error.hpp"
#include "store/users.hpp"
#include "util/result.hpp"

namespace ringpost::store {

struct StoreOptions {
    std::string path;              // data directory (created if missing, unless read_only)
    bool read_only = false;        // open as a RocksDB secondary/read-only instance (CLI reads while serve runs)
    uint64_t min_blob_size = 2048; // bodies at least this large go to blob files, out of the LSM
    // Below this many free bytes on the data directory's filesystem
    // can_accept() says no (space_watch.hpp); 0 = only when the database
    // itself has stopped on a full disk. Primary instances only.
    uint64_t min_free_space = 0;
    // The delivery event log (event_log.hpp); off unless a sink consumes it.
    EventLogOptions events;
};

class CommitStage;
namespace test_hooks { struct Access; }

class Store {
public:
    static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    Users& users() { return users_; }
    Spool& spool() { return spool_; }
    Mailboxes& mailboxes() { return mailboxes_; }
    Recovery& recovery() { return recovery_; }
    EventLog& events() { return events_; }
    GreylistRecords& greylist() { return greylist_; }
    ScreenRecords& screen() { return screen_; }
    CommitStage& commit_stage();

    // May new mail of `size` bytes (0 = not declared) be accepted? False
    // below min_free_space and while the database is stopped by a write
    // error (until it is resumed, by itself, once space is back). Reads
    // atomics only: safe on a ring thread (SMTP's MAIL FROM).
    bool can_accept(uint64_t size) const;

private:
    friend struct test_hooks::Access;  // unit tests' raw column family access (test_hooks.hpp)
    explicit Store(std::unique_ptr<StoreImpl> impl);
    std::unique_ptr<StoreImpl> impl_;
    // Over *impl_; declared after it, so they are destroyed first.
    Users users_;
    Spool spool_;
    Mailboxes mailboxes_;
    Recovery recovery_;
    EventLog events_;
    GreylistRecords greylist_;
    ScreenRecords screen_;
};

// Queue IDs: 16 upper-case hex digits = 44 bits of milliseconds since the
// epoch and a 20-bit sequence; strictly increasing within a process and,
// as long as the clock does not go back, across restarts.
std::string new_queue_id();
bool is_valid_queue_id(std::string_view id);

}  // namespace ringpost::store
