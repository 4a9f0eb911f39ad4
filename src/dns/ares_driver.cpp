// AresDriver: c-ares sockets on io_uring polls, its timeouts on ring timers; see ares_driver.hpp.
#include "dns/ares_driver.hpp"

#include <arpa/inet.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <mutex>

#include "io/ops.hpp"

namespace ringpost::dns {
namespace {

bool parse_port(std::string_view text, int& port) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    return ec == std::errc() && end == text.data() + text.size() && port > 0 && port <= 65535;
}

bool is_ip(int family, const std::string& host) {
    unsigned char buf[16];
    return ::inet_pton(family, host.c_str(), buf) == 1;
}

void init_library() {
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

Result<std::string> servers_csv(const std::vector<std::string>& servers) {
    std::string csv;
    for (const std::string& entry : servers) {
        std::string_view s = entry;
        std::string host;
        int port = 53;
        bool v6 = false;
        bool good = true;
        if (!s.empty() && s.front() == '[') {
            size_t close = s.find(']');
            good = close != std::string_view::npos;
            if (good) {
                host = std::string(s.substr(1, close - 1));
                std::string_view rest = s.substr(close + 1);
                if (!rest.empty()) good = rest.front() == ':' && parse_port(rest.substr(1), port);
                v6 = true;
            }
        } else if (std::count(s.begin(), s.end(), ':') >= 2) {
            host = std::string(s);
            v6 = true;
        } else if (size_t colon = s.find(':'); colon != std::string_view::npos) {
            host = std::string(s.substr(0, colon));
            good = parse_port(s.substr(colon + 1), port);
        } else {
            host = std::string(s);
        }
        good = good && is_ip(v6 ? AF_INET6 : AF_INET, host);
        if (!good) return make_error("bad DNS server \"" + entry + "\" (want IP, IP:port or [IPv6]:port)");
        if (!csv.empty()) csv += ',';
        csv += v6 ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
    }
    return csv;
}

Result<std::unique_ptr<AresDriver>> AresDriver::create(io::Ring& ring, const ResolverOptions& options) {
    init_library();
    std::string csv;
    if (!options.servers.empty()) {
        auto r = servers_csv(options.servers);
        if (!r) return r.error();
        csv = std::move(r.value());
    }
    std::unique_ptr<AresDriver> d(new AresDriver(ring));
    ares_options opts{};
    opts.sock_state_cb = &AresDriver::on_sock_state;
    opts.sock_state_cb_data = d.get();
    opts.timeout = static_cast<int>(std::max<int64_t>(options.timeout.count(), 1));
    opts.tries = std::max(options.tries, 1);
    // NOCHECKRESP: c-ares 1.18 would otherwise swallow SERVFAIL/REFUSED/NOTIMP
    // replies and report them as ARES_ECONNREFUSED; with it they surface as
    // ARES_ESERVFAIL/EREFUSED/ENOTIMP (a reply to another question is still
    // dropped: 1.18 matches the question while looking the query up). The
    // price: no fail-over to a second server on such an rcode.
    opts.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
    opts.ednspsz = 1232;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ;
    int rc = ares_init_options(&d->channel_, &opts, mask);
    if (rc != ARES_SUCCESS) {
        d->channel_ = nullptr;
        return make_error(std::string("c-ares initialisation failed: ") + ares_strerror(rc));
    }
    if (!csv.empty()) {
        rc = ares_set_servers_ports_csv(d->channel_, csv.c_str());
        if (rc != ARES_SUCCESS) return make_error("c-ares rejected the DNS servers " + csv + ": " + ares_strerror(rc));
    }
    return d;
}

AresDriver::~AresDriver() {
    if (channel_) {
        ares_channel ch = channel_;
        channel_ = nullptr;
        ares_destroy(ch);
    }
    cancel_all();
    // Whatever is still in flight frees itself when the ring reaps its cancellation.
    for (Watch* w : watches_) w->driver = nullptr;
    for (Timer* t : timers_) t->driver = nullptr;
}

void AresDriver::query(const std::string& name, int type, ares_callback callback, void* arg) {
    if (!channel_) {
        callback(arg, ARES_EDESTRUCTION, 0, nullptr, 0);
        return;
    }
    ares_query(channel_, name.c_str(), 1 /* C_IN */, type, callback, arg);
    update_timer();
}

io::Task<void> AresDriver::shutdown() {
    if (channel_) {
        ares_channel ch = channel_;
        channel_ = nullptr;
        ares_destroy(ch);
    }
    cancel_all();
    struct DrainAwaiter {
        AresDriver* d;
        bool await_ready() const noexcept { return d->watches_.empty() && d->timers_.empty(); }
        void await_suspend(std::coroutine_handle<> h) noexcept { d->drained_waiter_ = h; }
        void await_resume() const noexcept {}
    };
    DrainAwaiter drained{this};
    co_await drained;
}

// --- sockets -------------------------------------------------------------

void AresDriver::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<AresDriver*>(data)->sock_state(fd, readable != 0, writable != 0);
}

void AresDriver::sock_state(int fd, bool readable, bool writable) {
    if (!readable && !writable) {
        // c-ares closes the socket right after this. A poll keeps a reference
        // to the file and would never complete: cancel it.
        auto it = by_fd_.find(fd);
        if (it == by_fd_.end()) return;
        Watch* w = it->second;
        by_fd_.erase(it);
        w->closed = true;
        if (w->armed && !w->cancel_sent) {
            ring_.cancel(&w->active->completion);
            w->cancel_sent = true;
        }
        maybe_free(w);
        return;
    }
    short want = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
    Watch*& slot = by_fd_[fd];
    if (!slot) {
        slot = new Watch;
        slot->driver = this;
        slot->fd = fd;
        for (PollSlot& s : slot->slots) {
            s.watch = slot;
            s.completion.on_cqe = &AresDriver::on_poll;
        }
        watches_.insert(slot);
    }
    Watch* w = slot;
    w->want = want;
    if (w->busy) return;  // re-armed when ares_process_fd returns
    if (!w->armed) {
        arm(w);
    } else if (w->armed_mask != want && !w->cancel_sent) {
        ring_.cancel(&w->active->completion);  // re-armed with the new mask on -ECANCELED
        w->cancel_sent = true;
    }
}

void AresDriver::arm(Watch* w) {
    PollSlot* slot = &w->slots[w->next_slot];
    w->next_slot ^= 1u;
    io_uring_prep_poll_add(ring_.sqe_for(&slot->completion), w->fd, static_cast<unsigned>(w->want));
    w->armed = true;
    w->armed_mask = w->want;
    w->cancel_sent = false;
    w->active = slot;
    ++w->in_flight;
}

void AresDriver::maybe_free(Watch* w) {
    if (!w->closed || w->busy || w->in_flight > 0) return;
    watches_.erase(w);
    delete w;
    note_drained();
}

void AresDriver::on_poll(io::Completion* c, int32_t result, uint32_t) {
    auto* slot = reinterpret_cast<PollSlot*>(c);
    Watch* w = slot->watch;
    --w->in_flight;
    if (slot == w->active) {
        w->armed = false;
        w->active = nullptr;
    }
    AresDriver* d = w->driver;
    if (!d) {  // orphaned by ~AresDriver
        if (w->in_flight == 0) delete w;
        return;
    }
    if (w->closed) {
        d->maybe_free(w);
        return;
    }
    if (result == -ECANCELED) {  // interest changed
        d->arm(w);
        return;
    }
    unsigned revents = result < 0 ? POLLERR : static_cast<unsigned>(result);
    ares_socket_t rfd = ARES_SOCKET_BAD;
    ares_socket_t wfd = ARES_SOCKET_BAD;
    if ((w->want & POLLIN) && (revents & (POLLIN | POLLERR | POLLHUP))) rfd = w->fd;
    if ((w->want & POLLOUT) && (revents & (POLLOUT | POLLERR | POLLHUP))) wfd = w->fd;
    w->busy = true;
    if (d->channel_ && (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD)) ares_process_fd(d->channel_, rfd, wfd);
    w->busy = false;
    if (w->closed)
        d->maybe_free(w);
    else if (!w->armed)
        d->arm(w);
    d->update_timer();
}

// --- timers --------------------------------------------------------------

void AresDriver::update_timer() {
    if (!channel_) return;
    timeval buf{};
    timeval* tv = ares_timeout(channel_, nullptr, &buf);
    if (!tv) return;
    using namespace std::chrono;
    auto wait = duration_cast<milliseconds>(seconds(tv->tv_sec) + microseconds(tv->tv_usec) + microseconds(999));
    wait = std::max(wait, milliseconds(1));
    auto deadline = steady_clock::now() + wait;
    // A timer due no later re-evaluates when it fires.
    for (Timer* t : timers_)
        if (t->deadline <= deadline) return;
    auto* t = new Timer;
    t->driver = this;
    t->completion.on_cqe = &AresDriver::on_timer;
    t->ts = io::to_timespec(wait);
    t->deadline = deadline;
    timers_.insert(t);
    io_uring_prep_timeout(ring_.sqe_for(&t->completion), &t->ts, 0, 0);
}

void AresDriver::on_timer(io::Completion* c, int32_t result, uint32_t) {
    auto* t = reinterpret_cast<Timer*>(c);
    AresDriver* d = t->driver;
    if (d) d->timers_.erase(t);
    delete t;
    if (!d) return;
    if (d->channel_ && result != -ECANCELED) {
        ares_process_fd(d->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        d->update_timer();
    }
    d->note_drained();
}

// --- teardown ------------------------------------------------------------

void AresDriver::cancel_all() {
    by_fd_.clear();
    std::vector<Watch*> idle;
    for (Watch* w : watches_) {
        w->closed = true;
        if (w->armed && !w->cancel_sent) {
            ring_.cancel(&w->active->completion);
            w->cancel_sent = true;
        }
        if (w->in_flight == 0 && !w->busy) idle.push_back(w);
    }
    for (Watch* w : idle) maybe_free(w);
    for (Timer* t : timers_) {
        io_uring_sqe* s = ring_.sqe();
        io_uring_prep_timeout_remove(s, reinterpret_cast<__u64>(&t->completion), 0);
        io_uring_sqe_set_data(s, nullptr);
    }
}

void AresDriver::note_drained() {
    if (drained_waiter_ && watches_.empty() && timers_.empty()) ring_.schedule(std::exchange(drained_waiter_, {}));
}

}  // namespace ringpost::dns
