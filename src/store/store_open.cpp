// Opening and closing the RocksDB database behind Store: options chosen for a
// mail spool, column family creation, the primary/secondary split, and the
// in-memory state loaded at open.
//
// Read-only opens use a *secondary* instance (DB::OpenAsSecondary +
// TryCatchUpWithPrimary): RocksDB documents OpenForReadOnly alongside a live
// primary as undefined behaviour (the primary may delete WAL/SST files the
// reader is about to open), while a secondary is built to tail a running
// primary. It needs a private directory for its own info log; we make one
// with mkdtemp under $TMPDIR (default /tmp) so the CLI never writes into the
// data directory, and remove it on close.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <unistd.h>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include "store/info_log.hpp"
#include "store/keys.hpp"
#include "store/store_impl.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

// Same order as StoreImpl::Cf. ("default" is rocksdb::kDefaultColumnFamilyName,
// spelled out because that is a std::string from another translation unit.)
constexpr const char* kCfNames[StoreImpl::kCfCount] = {
    "default", keys::kBodies, keys::kBodyRefs, keys::kEnvelopes,
    keys::kSchedule, keys::kMailboxes, keys::kMessages, keys::kUsers, keys::kEvents,
};

bool compression_supported(rocksdb::CompressionType type) {
    for (auto t : rocksdb::GetSupportedCompressions())
        if (t == type) return true;
    return false;
}

// LZ4 where the library has it: cheap on CPU, and mail text compresses well.
rocksdb::CompressionType preferred_compression() {
    return compression_supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
}

// Tells the space watch when RocksDB stops taking writes after an error
// (ENOSPC above all). RocksDB's automatic recovery from ENOSPC is turned
// off: it waits for free space of a whole write buffer (64 MiB here) beyond
// anything we configure, polls every 5 s, and while it waits a manual
// DB::Resume() only gets Busy -- the space watch resumes instead, on our
// threshold. Runs on RocksDB's threads with its mutex held: only atomics,
// never a call into the DB.
class ErrorListener final : public rocksdb::EventListener {
public:
    explicit ErrorListener(SpaceWatch& watch) : watch_(watch) {}
    void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
        if (error && !error->ok()) watch_.database_stopped();
    }
    void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
        if (auto_recovery) *auto_recovery = false;
    }
    void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
        if (info.new_bg_error.ok()) watch_.database_recovered();
    }

private:
    SpaceWatch& watch_;
};

rocksdb::DBOptions make_db_options(bool secondary) {
    rocksdb::DBOptions o;
    o.create_if_missing = !secondary;
    o.create_missing_column_families = !secondary;
    // WAL stays on and is written on every batch; durability comes from the
    // commit stage's sync=true writes, so no manual WAL flushing.
    o.manual_wal_flush = false;
    // A secondary must keep every file open (RocksDB requirement); the
    // primary stays modest so a spool never exhausts the fd limit it shares
    // with thousands of SMTP connections.
    o.max_open_files = secondary ? -1 : 256;
    o.max_background_jobs = 4;
    // With 7 CFs the WAL can only be recycled once every CF has flushed;
    // this cap forces flushes of quiet CFs so the WAL stays bounded.
    o.max_total_wal_size = 256u << 20;
    o.db_write_buffer_size = 256u << 20;
    o.bytes_per_sync = 1u << 20;
    o.keep_log_file_num = 4;
    // Replay the write-ahead log into memtables at open instead of flushing
    // it: that flush needs as much free space as the log holds (up to
    // max_total_wal_size), and without it a restart on a nearly full disk
    // failed with ENOSPC writing a blob file.
    o.avoid_flush_during_recovery = true;
    // The primary's info log goes to our log, not to a LOG file in the
    // data directory (info_log.hpp: a full disk made that abort).
    if (!secondary) o.info_log = make_info_log();
    return o;
}

rocksdb::ColumnFamilyOptions make_cf_options(int which, const StoreOptions& opts,
                                             const std::shared_ptr<rocksdb::Cache>& cache) {
    rocksdb::ColumnFamilyOptions o;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    // Nearly all reads are point lookups by queue ID or exact key.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    o.compression = preferred_compression();
    o.write_buffer_size = 16u << 20;

    if (which == StoreImpl::kBodies) {
        // Integrated BlobDB: bodies at least min_blob_size go to blob files,
        // so compactions of the LSM move small index entries, not messages.
        // GC rewrites live blobs out of old files during compaction so the
        // space of deleted messages comes back.
        o.write_buffer_size = 64u << 20;
        o.enable_blob_files = true;
        o.min_blob_size = opts.min_blob_size;
        o.blob_compression_type = preferred_compression();
        o.enable_blob_garbage_collection = true;
        o.blob_garbage_collection_age_cutoff = 0.25;
    }
    return o;
}

std::shared_ptr<rocksdb::Cache> shared_block_cache() {
    return rocksdb::NewLRUCache(32u << 20);  // shared by all CFs of one DB
}

Result<std::string> make_secondary_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/ringpost-secondary-" +
                        std::to_string(getpid()) + "-XXXXXX";
    if (!mkdtemp(templ.data()))
        return make_error("cannot create secondary directory " + templ + ": " + std::strerror(errno), errno);
    return templ;
}

Result<void> load_users(StoreImpl& impl) {
    std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(rocksdb::ReadOptions(), impl.cf(StoreImpl::kUsers)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) impl.users.insert(it->key().ToString());
    if (!it->status().ok()) return db_error("loading users", it->status());
    return {};
}

// The last UIDVALIDITY handed out (0 in a store that never created a mailbox
// since the counter exists).
Result<void> load_uidvalidity_last(StoreImpl& impl) {
    auto stored = impl.get(StoreImpl::kDefault, keys::kUidValidityLast);
    if (!stored) return stored.error();
    if (!stored->has_value()) return {};
    auto n = decode_refcount(**stored);
    if (!n) return make_error("corrupt uidvalidity_last: " + n.error().message);
    impl.uidvalidity_last = static_cast<uint32_t>(std::min<uint64_t>(n.value(), UINT32_MAX));
    return {};
}

}  // namespace

Error db_error(std::string_view what, const rocksdb::Status& status) {
    return make_error(std::string(what) + ": " + status.ToString());
}

StoreImpl::~StoreImpl() {
    if (commit) commit->stop();
    commit.reset();
    compactor.reset();          // before the handles it uses go
    if (space) space->stop();   // no resume of a closing database
    if (db) {
        for (auto* h : handles)
            if (h) db->DestroyColumnFamilyHandle(h);
        handles.clear();
        rocksdb::Status s = db->Close();
        if (!s.ok()) log::warn("store_close_failed", {{"path", options.path}, {"error", s.ToString()}});
        delete db;
        db = nullptr;
    }
    if (!secondary_path.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(secondary_path, ec);
    }
}

namespace {

// Every CF that exists (RocksDB insists on it for a primary) plus ours; CFs
// a newer version may have added are opened with defaults. A secondary
// cannot create CFs, so ours must exist already.
Result<std::vector<rocksdb::ColumnFamilyDescriptor>> column_family_descriptors(const rocksdb::DBOptions& db_options,
                                                                              const StoreOptions& options,
                                                                              bool secondary) {
    std::vector<std::string> existing;
    std::error_code ec;
    if (std::filesystem::exists(options.path + "/CURRENT", ec)) {  // else: a new database
        rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing);
        if (!s.ok()) return db_error("listing column families in " + options.path, s);
    }
    auto cache = shared_block_cache();
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (int i = 0; i < StoreImpl::kCfCount; ++i) {
        if (secondary && i != StoreImpl::kDefault && std::find(existing.begin(), existing.end(), kCfNames[i]) == existing.end())
            return make_error("data directory " + options.path + " lacks column family '" + kCfNames[i] +
                              "' (never opened by ringpost serve?)");
        descriptors.emplace_back(kCfNames[i], make_cf_options(i, options, cache));
    }
    for (const auto& name : existing)
        if (std::find(std::begin(kCfNames), std::end(kCfNames), name) == std::end(kCfNames))
            descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    return descriptors;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
    if (options.path.empty()) return make_error("store path is empty");
    auto impl = std::make_unique<StoreImpl>();
    impl->options = options;
    const bool secondary = options.read_only;

    std::error_code ec;
    if (secondary) {
        if (!std::filesystem::exists(options.path + "/CURRENT", ec))
            return make_error("data directory " + options.path + " holds no ringpost store");
    } else {
        std::filesystem::create_directories(options.path, ec);
        if (ec) return make_error("cannot create data directory " + options.path + ": " + ec.message(), ec);
    }

    rocksdb::DBOptions db_options = make_db_options(secondary);
    if (!secondary) {
        StoreImpl* raw = impl.get();
        impl->space = std::make_unique<SpaceWatch>(
            options.min_free_space, [path = options.path] { return free_space(path); },
            [raw]() -> Result<void> {
                rocksdb::Status resumed = raw->db->Resume();
                if (!resumed.ok()) return db_error("resuming the database", resumed);
                return {};
            });
        db_options.listeners.push_back(std::make_shared<ErrorListener>(*impl->space));
    }
    auto listed = column_family_descriptors(db_options, options, secondary);
    if (!listed) return listed.error();
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = std::move(listed.value());

    rocksdb::Status s;
    if (secondary) {
        auto dir = make_secondary_dir();
        if (!dir) return dir.error();
        impl->secondary_path = dir.value();
        s = rocksdb::DB::OpenAsSecondary(db_options, options.path, impl->secondary_path, descriptors,
                                         &impl->handles, &impl->db);
        if (s.ok()) s = impl->db->TryCatchUpWithPrimary();
    } else {
        s = rocksdb::DB::Open(db_options, options.path, descriptors, &impl->handles, &impl->db);
    }
    if (!s.ok()) {
        if (!secondary && s.IsIOError() && s.ToString().find("LOCK") != std::string::npos)
            return make_error("data directory " + options.path +
                              " is in use by a running ringpost (lock held): " + s.ToString());
        return db_error(std::string("opening store ") + options.path + (secondary ? " (secondary)" : ""), s);
    }

    if (!secondary) {
        if (auto r = load_users(*impl); !r) return r.error();
        if (auto r = load_uidvalidity_last(*impl); !r) return r.error();
        impl->events.options = options.events;
        if (auto r = load_event_log(*impl); !r) return r.error();
    }
    if (impl->space) impl->space->start();
    if (!secondary) impl->compactor = std::make_unique<RangeCompactor>(impl->db, impl->cf(StoreImpl::kMessages));
    impl->commit = std::make_unique<GroupCommitStage>(*impl);
    if (secondary)
        log::info("store_opened", {{"path", options.path}, {"mode", "secondary"}});
    else
        log::info("store_opened", {{"path", options.path}, {"mode", "primary"},
                                   {"users", static_cast<uint64_t>(impl->users.size())}});
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<StoreImpl> impl)
    : impl_(std::move(impl)), users_(*impl_), spool_(*impl_), mailboxes_(*impl_), recovery_(*impl_), events_(*impl_), greylist_(*impl_), screen_(*impl_) {}
Store::~Store() = default;

CommitStage& Store::commit_stage() { return *impl_->commit; }

bool Store::can_accept(uint64_t size) const { return !impl_->space || impl_->space->can_accept(size); }

}  // namespace ringpost::store
