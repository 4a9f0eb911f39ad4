// The pushers' thread and each sink's loop (pushers.hpp).
#include "events/pushers.hpp"

#include <pthread.h>

#include <chrono>
#include <future>

#include "events/sink.hpp"
#include "io/ring.hpp"
#include "store/store.hpp"
#include "util/log.hpp"

namespace ringpost::events {
namespace {

// How often an idle sink looks for new events (one iterator seek each).
constexpr io::Duration kPoll{100};

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct EventPushers::Impl {
    store::Store& store;
    EventsOptions options;
    std::thread thread;
    io::Ring* ring = nullptr;   // set on the thread before start() returns
    std::unique_ptr<io::BlockingPool> pool;
    std::vector<std::unique_ptr<Sink>> sinks;
    std::vector<std::unique_ptr<io::CancelSlot>> slots;   // one per sink
    bool stopping = false;     // ring thread
    size_t running = 0;        // ring thread: sink loops not yet ended

    Impl(store::Store& s, EventsOptions o) : store(s), options(std::move(o)) {}

    // A wait the shutdown cuts short; false once stopping.
    io::Task<bool> nap(io::Duration d, io::CancelSlot& slot) {
        auto op = io::sleep_for(d);
        op.slot = &slot;
        co_await op;
        co_return !stopping;
    }

    io::Task<void> run_sink(Sink& sink, io::CancelSlot& slot);
    io::Task<bool> push_once(Sink& sink, io::CancelSlot& slot, uint64_t& cursor);
    void thread_main(std::promise<Result<void>>& started);
};

// One step of a sink: false when there was nothing to do (or it failed)
// and the caller should wait.
io::Task<bool> EventPushers::Impl::push_once(Sink& sink, io::CancelSlot& slot, uint64_t& cursor) {
    store::EventLog& log = store.events();
    const uint64_t after = cursor;
    const size_t max = sink.batch_size();
    auto reading = [&log, after, max] { return log.read(after, max); };
    auto batch = co_await pool->run(reading);
    if (!batch) {
        log::warn("events_read_failed", {{"sink", sink.name()}, {"error", batch.error().message}});
        co_return false;
    }
    if (batch->empty()) co_return false;
    // A small batch waits for company until its oldest event is old enough.
    if (batch->size() < max && now_ms() - batch->front().time_ms < sink.max_batch_delay().count()) co_return false;

    auto delivered = co_await sink.deliver(*batch, &slot);
    if (!delivered) {
        if (stopping) co_return false;
        const auto wait = sink.backoff().next();
        log::warn("events_push_failed", {{"sink", sink.name()}, {"events", static_cast<uint64_t>(batch->size())},
                                         {"first_id", batch->front().id}, {"error", delivered.error().message},
                                         {"retry_ms", static_cast<int64_t>(wait.count())}});
        co_await nap(wait, slot);
        co_return true;   // the wait is done: try again at once
    }
    sink.backoff().reset();
    const uint64_t last = batch->back().id;
    const std::string name = sink.name();
    auto saving = [&log, &name, last] { return log.set_cursor(name, last); };
    auto saved = co_await pool->run(saving);
    // Unsaved, the batch is sent again after a restart (at least once);
    // in this run the sink goes on after it either way.
    if (!saved) log::warn("events_cursor_failed", {{"sink", name}, {"id", last}, {"error", saved.error().message}});
    log::debug("events_pushed", {{"sink", name}, {"events", static_cast<uint64_t>(batch->size())}, {"last_id", last}});
    cursor = last;
    co_return true;
}

io::Task<void> EventPushers::Impl::run_sink(Sink& sink, io::CancelSlot& slot) {
    store::EventLog& log = store.events();
    const std::string name = sink.name();
    uint64_t cursor = 0;
    for (;;) {
        auto loading = [&log, &name] { return log.cursor(name); };
        auto loaded = co_await pool->run(loading);
        if (loaded) {
            cursor = loaded.value();
            log::info("events_sink_started", {{"sink", name}, {"cursor", cursor}});
            break;
        }
        log::warn("events_cursor_read_failed", {{"sink", name}, {"error", loaded.error().message}});
        if (!co_await nap(std::chrono::seconds(1), slot)) break;
    }
    while (!stopping) {
        if (!co_await push_once(sink, slot, cursor) && !stopping) co_await nap(kPoll, slot);
    }
    if (--running == 0) ring->stop();
}

void EventPushers::Impl::thread_main(std::promise<Result<void>>& started) {
    pthread_setname_np(pthread_self(), "rp-events");
    std::unique_ptr<io::Ring> owned;
    try {
        owned = std::make_unique<io::Ring>(256);
        owned->bind_thread();
    } catch (const std::exception& e) {
        started.set_value(make_error(std::string("event pushers: ") + e.what()));
        return;
    }
    ring = owned.get();
    started.set_value(Result<void>{});
    running = sinks.size();
    for (size_t i = 0; i < sinks.size(); ++i) io::spawn(run_sink(*sinks[i], *slots[i]));
    ring->run();
    // Every loop has ended, so no pool call is outstanding.
    pool->stop();
    ring->close();
}

EventPushers::EventPushers(store::Store& store, EventsOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

EventPushers::~EventPushers() { stop(); }

Result<void> EventPushers::start() {
    Impl& im = *impl_;
    if (!im.options.enabled()) return {};
    io::BlockingPool::Options po;
    po.threads = 1;
    po.name = "rp-events-io";
    im.pool = std::make_unique<io::BlockingPool>(po);
    std::shared_ptr<tls::ClientContext> tls;
    for (const auto& w : im.options.webhooks) {
        if (w.url.starts_with("https://") && !tls) {
            auto ctx = tls::ClientContext::create(tls::ClientConfig{});
            if (!ctx) return make_error("event webhooks: TLS client context: " + ctx.error().message);
            tls = std::move(ctx).value();
        }
    }
    for (const auto& w : im.options.webhooks) {
        auto sink = make_webhook_sink(w, *im.pool, tls);
        if (!sink) return make_error("events.webhooks." + w.name + ": bad url " + w.url);
        im.sinks.push_back(std::move(sink));
    }
    if (!im.options.file.empty()) im.sinks.push_back(make_file_sink(im.options.file, *im.pool));
    for (size_t i = 0; i < im.sinks.size(); ++i) im.slots.push_back(std::make_unique<io::CancelSlot>());
    std::promise<Result<void>> started;
    auto ready = started.get_future();
    im.thread = std::thread([&im, &started] { im.thread_main(started); });
    Result<void> r = ready.get();
    if (!r) im.thread.join();
    return r;
}

void EventPushers::stop() {
    Impl& im = *impl_;
    if (!im.thread.joinable()) return;
    im.ring->post([&im] {
        im.stopping = true;
        for (auto& slot : im.slots) slot->cancel();
    });
    im.thread.join();
}

}  // namespace ringpost::events
