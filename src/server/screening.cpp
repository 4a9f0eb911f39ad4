// Screening before the greeting: DNSBL scoring and the pregreet test; see
// screening.hpp.
#include "server/screening.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>

#include "dns/resolver.hpp"
#include "dns/reverse.hpp"
#include "io/ops.hpp"
#include "io/send_all.hpp"
#include "io/socket.hpp"
#include "server/greylist.hpp"
#include "server/screen_metrics.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

using Clock = std::chrono::steady_clock;

// Our replies here are one or two lines: a client that does not take them
// in this long is not worth waiting for.
constexpr io::Duration kSendTimeout{10000};
// What an early talker sent, taken off the socket before the close (so
// that the close is a FIN behind the reply, not a reset).
constexpr size_t kDropLimit = 8192;
// A TXT reason in a reply line, at most.
constexpr size_t kMaxReason = 200;

// What the zone lookups found so far. Shared with the lookups, which may
// outlive the screening (a zone slower than dnsbl_timeout).
struct DnsblRun {
    std::vector<dns::DnsblAnswer> answers;   // one per zone, in the order of ScreenSettings::zones
    std::vector<bool> answered;
    std::vector<std::string> reasons;        // the TXT reason of a listing zone
    size_t pending = 0;
    bool doubtful = false;                   // a zone failed or answered with an error code: no pass to remember
    io::CancelSlot* waiter = nullptr;        // the screening's wait, woken when the last answer is in

    void done() {
        if (--pending == 0 && waiter) waiter->cancel();
    }
};

// Printable ASCII only, and short: it goes into a reply line and a log line.
std::string printable(std::string_view text, size_t max) {
    std::string out;
    for (unsigned char ch : text.substr(0, max)) out.push_back(ch >= 0x20 && ch < 0x7f ? static_cast<char>(ch) : ' ');
    return out;
}

io::Duration at_least_1ms(Clock::duration d) {
    return std::max(io::Duration(1), std::chrono::ceil<io::Duration>(d));
}

// Sorts one zone's A records into the answer (error codes stay in it: the
// scoring skips them) and says what they were.
DnsblResult take_addresses(const dns::RecordSet& found, dns::DnsblAnswer& answer, const std::string& client) {
    if (found.outcome == dns::Outcome::kNxDomain || found.outcome == dns::Outcome::kNoData) return DnsblResult::kNotListed;
    if (found.outcome != dns::Outcome::kAnswer) {
        log::warn("screen", {{"client", client}, {"result", "dnsbl_failed"}, {"zone", answer.zone}, {"error", found.error}});
        return DnsblResult::kTimeout;
    }
    bool listed = false;
    for (const dns::Address& a : found.addresses) {
        std::array<uint8_t, 4> bytes{};
        if (::inet_pton(AF_INET, a.ip.c_str(), bytes.data()) != 1) continue;
        answer.addresses.push_back(bytes);
        if (dns::classify_dnsbl_address(bytes) == dns::DnsblCode::kListed) {
            listed = true;
        } else {
            log::warn("screen", {{"client", client}, {"result", "dnsbl_error"}, {"zone", answer.zone}, {"reply", a.ip}});
        }
    }
    return listed ? DnsblResult::kListed : DnsblResult::kError;
}

// One zone: its A records, then (for a block list that lists the client)
// its TXT reason. Detached: it owns what it uses but the resolver, which
// outlives every lookup (the worker shuts it down only after draining).
io::Task<void> lookup_zone(dns::Resolver& resolver, std::shared_ptr<DnsblRun> run, size_t index, std::string name,
                           bool wants_reason, std::string client) {
    auto looking = resolver.lookup(name, dns::kTypeA);
    const dns::RecordSet found = co_await std::move(looking);
    const DnsblResult result = take_addresses(found, run->answers[index], client);
    screen_metrics().count(result);
    if (result == DnsblResult::kTimeout || result == DnsblResult::kError) run->doubtful = true;
    if (result == DnsblResult::kListed && wants_reason) {
        auto reading = resolver.lookup(name, dns::kTypeTxt);
        const dns::RecordSet txt = co_await std::move(reading);
        if (txt.outcome == dns::Outcome::kAnswer && !txt.texts.empty()) run->reasons[index] = printable(txt.texts.front(), kMaxReason);
    }
    run->answered[index] = true;
    run->done();
}

bool any_positive_weight(const std::vector<dns::DnsblSite>& sites, const std::string& zone) {
    for (const auto& s : sites)
        if (s.zone == zone && s.weight > 0) return true;
    return false;
}

}  // namespace

// The screening of one connection: in the screen() coroutine's frame, in
// the ring's live set (a graceful shutdown cuts its waits short).
struct Screener::Run {
    Run(int socket, std::string client, io::LiveSet& set) : fd(socket), ip(std::move(client)), live(set) {
        live.add(entry);
    }
    ~Run() {
        if (dnsbl) dnsbl->waiter = nullptr;
        live.remove(entry);
    }
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    int fd;
    std::string ip;
    io::LiveSet& live;
    io::LiveEntry entry;
    Clock::time_point start = Clock::now();
    std::shared_ptr<DnsblRun> dnsbl = std::make_shared<DnsblRun>();
    ScreenEvent outcome = ScreenEvent::kPass;
    bool test_dnsbl = false;       // the lists are asked (not a remembered pass)
    bool test_pregreet = false;    // the pregreet test runs (on, and not a remembered pass)
    bool pregreet_passed = false;  // greet_wait went by without a word from the client

    // Every list asked answered, none with an error code.
    bool dnsbl_conclusive() const {
        return !dnsbl->doubtful && std::all_of(dnsbl->answered.begin(), dnsbl->answered.end(), [](bool a) { return a; }) &&
               !dnsbl->answered.empty();
    }

    // The client's score from the answers so far.
    dns::DnsblScore score(const ScreenSettings& s) const {
        std::vector<dns::DnsblAnswer> in;
        for (size_t i = 0; i < dnsbl->answers.size(); ++i)
            if (dnsbl->answered[i]) in.push_back(dnsbl->answers[i]);
        return dns::score_dnsbl(s.sites, in);
    }
    // Every list answered, and the verdict is more than a pass: no need
    // to wait for the pregreet test any longer.
    bool decided(const ScreenSettings& s) const {
        if (dnsbl->pending > 0) return false;
        const int total = score(s).total;
        return total >= s.threshold || (s.allowlist_threshold < 0 && total <= s.allowlist_threshold);
    }
};

ScreenSettings screen_settings(const config::Config& config) {
    ScreenSettings s;
    s.hostname = config.hostname;
    for (const std::string& text : config.screen.dnsbl_sites) {
        auto site = dns::parse_dnsbl_site(text);
        if (!site) throw config::ConfigError("screen.dnsbl_sites: " + site.error().message);
        s.sites.push_back(std::move(*site));
    }
    s.zones = dns::dnsbl_zones(s.sites);
    s.threshold = config.screen.dnsbl_threshold;
    s.allowlist_threshold = config.screen.dnsbl_allowlist_threshold;
    s.dnsbl_timeout = std::chrono::milliseconds(config.screen.dnsbl_timeout_ms);
    s.greet_wait = std::chrono::milliseconds(config.screen.greet_wait_ms);
    const std::string& mode = config.screen.pregreet;
    s.pregreet = mode == "enforce" ? PregreetMode::kEnforce : mode == "ignore" ? PregreetMode::kIgnore : PregreetMode::kOff;
    return s;
}

Screener::Screener(ScreenSettings settings, dns::Resolver& resolver, io::LiveSet& live, ScreenCache* cache)
    : settings_(std::move(settings)), resolver_(resolver), live_(live), cache_(cache && cache->enabled() ? cache : nullptr) {}

bool Screener::skip_cached(Run& run) {
    run.test_dnsbl = !settings_.zones.empty();
    run.test_pregreet = settings_.pregreet != PregreetMode::kOff;
    if (!cache_) return false;
    const ScreenCache::Passes passed = cache_->lookup(run.ip, Greylist::wall_clock_ms());
    if (passed.dnsbl) run.test_dnsbl = false;
    if (passed.pregreet || passed.allowlisted) run.test_pregreet = false;
    return !run.test_dnsbl && !run.test_pregreet;
}

void Screener::remember(const Run& run, bool allowlisted) {
    if (!cache_) return;
    ScreenCache::Passes passed;
    passed.dnsbl = run.test_dnsbl && run.dnsbl_conclusive();
    passed.allowlisted = passed.dnsbl && allowlisted;
    passed.pregreet = run.pregreet_passed;
    cache_->remember(run.ip, passed, Greylist::wall_clock_ms());
}

void Screener::start_lookups(Run& run) {
    DnsblRun& d = *run.dnsbl;
    const size_t n = settings_.zones.size();
    d.answers.resize(n);
    d.answered.assign(n, false);
    d.reasons.resize(n);
    const auto reversed = dns::reversed_address(run.ip);
    if (!reversed) return;   // not an address: nothing to ask (the zones count as silent)
    d.pending = n;
    d.waiter = &run.entry.slot;
    for (size_t i = 0; i < n; ++i) {
        const std::string& zone = settings_.zones[i];
        d.answers[i].zone = zone;
        io::spawn(lookup_zone(resolver_, run.dnsbl, i, *reversed + "." + zone, any_positive_weight(settings_.sites, zone),
                              run.ip));
    }
}

io::Task<Screener::Step> Screener::pregreet_test(Run& run) {
    std::string teaser = "220-" + settings_.hostname + " ESMTP\r\n";
    auto sending = io::send_all(run.fd, teaser, kSendTimeout);
    if (!(co_await std::move(sending))) co_return Step::kHangup;
    const auto until = run.start + settings_.greet_wait;
    char early[128];
    for (;;) {
        if (live_.draining()) co_return Step::kShutdown;
        const auto left = until - Clock::now();
        if (left <= Clock::duration::zero()) {
            run.pregreet_passed = true;
            co_return Step::kGoOn;
        }
        if (run.decided(settings_)) co_return Step::kGoOn;
        run.entry.slot.cancelled = false;
        io::RecvOp looking = io::peek(run.fd, early, sizeof early, at_least_1ms(left), &run.entry.slot);
        const int n = co_await looking;
        // -ECANCELED: the time is up, the lists are in or the server
        // stops; the checks above tell which.
        if (n == -ECANCELED) continue;
        if (n <= 0) co_return Step::kHangup;
        const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run.start);
        const bool enforce = settings_.pregreet == PregreetMode::kEnforce;
        log::warn("screen", {{"client", run.ip}, {"result", enforce ? "pregreet" : "pregreet_ignored"},
                             {"bytes", n}, {"after_ms", static_cast<int64_t>(after.count())},
                             {"text", printable(std::string_view(early, static_cast<size_t>(n)), 60)}});
        if (enforce) co_return Step::kPregreet;
        run.outcome = ScreenEvent::kPregreetIgnored;
        co_return Step::kGoOn;
    }
}

io::Task<bool> Screener::wait_for_lists(Run& run) {
    const auto until = run.start + settings_.dnsbl_timeout;
    while (run.dnsbl->pending > 0 && !live_.draining()) {
        const auto left = until - Clock::now();
        if (left <= Clock::duration::zero()) break;
        run.entry.slot.cancelled = false;
        io::SleepOp pause = io::sleep_for(at_least_1ms(left));
        pause.slot = &run.entry.slot;
        co_await pause;
    }
    co_return !live_.draining();
}

io::Task<ScreenResult> Screener::hang_up(Run& run, ScreenEvent why, std::string reply) {
    screen_metrics().count(why);
    if (!reply.empty()) {
        auto sending = io::send_all(run.fd, reply, kSendTimeout);
        co_await std::move(sending);
    }
    io::drop_unread_input(run.fd, kDropLimit);
    co_await io::close(run.fd);
    co_return ScreenResult{ScreenVerdict::kClosed, why};
}

io::Task<ScreenResult> Screener::verdict(Run& run) {
    const DnsblRun& d = *run.dnsbl;
    for (size_t i = 0; i < d.answered.size(); ++i) {
        if (d.answered[i]) continue;
        screen_metrics().count(DnsblResult::kTimeout);
        log::warn("screen", {{"client", run.ip}, {"result", "dnsbl_timeout"}, {"zone", settings_.zones[i]}});
    }
    const dns::DnsblScore score = run.score(settings_);
    if (score.total >= settings_.threshold) {
        std::string reason;
        for (size_t i = 0; i < settings_.zones.size(); ++i)
            if (settings_.zones[i] == score.top_zone && !d.reasons[i].empty()) reason = "; " + d.reasons[i];
        log::warn("screen", {{"client", run.ip}, {"result", "dnsbl"}, {"score", score.total}, {"zone", score.top_zone}});
        auto ending = hang_up(run, ScreenEvent::kDnsblRejected,
                              "554 5.7.1 Service unavailable; client [" + run.ip + "] blocked using " + score.top_zone +
                                  reason + "\r\n");
        co_return co_await std::move(ending);
    }
    const bool allowlisted =
        run.test_dnsbl && settings_.allowlist_threshold < 0 && score.total <= settings_.allowlist_threshold;
    if (allowlisted) {
        log::info("screen", {{"client", run.ip}, {"result", "allowlisted"}, {"score", score.total}});
        if (run.outcome == ScreenEvent::kPass) run.outcome = ScreenEvent::kDnsblAllowlisted;
    }
    remember(run, allowlisted);   // an ignored early talker's DNSBL pass only (pregreet_passed is false)
    screen_metrics().count(run.outcome);
    co_return ScreenResult{ScreenVerdict::kPass, run.outcome};
}

io::Task<ScreenResult> Screener::screen(int fd, std::string client_ip) {
    Run run(fd, std::move(client_ip), live_);
    if (skip_cached(run)) {
        screen_metrics().count(ScreenEvent::kCached);
        co_return ScreenResult{ScreenVerdict::kPass, ScreenEvent::kCached};
    }
    if (run.test_dnsbl) start_lookups(run);
    Step step = Step::kGoOn;
    if (run.test_pregreet) {
        auto testing = pregreet_test(run);
        step = co_await std::move(testing);
    }
    if (step == Step::kGoOn) {
        auto waiting = wait_for_lists(run);
        if (!(co_await std::move(waiting))) step = Step::kShutdown;
    }
    if (step == Step::kPregreet) {
        auto ending = hang_up(run, ScreenEvent::kPregreet, "554 5.5.1 Protocol error\r\n");
        co_return co_await std::move(ending);
    }
    if (step == Step::kShutdown) {
        auto ending = hang_up(run, ScreenEvent::kShutdown, "421 4.3.2 " + settings_.hostname + " Service shutting down\r\n");
        co_return co_await std::move(ending);
    }
    if (step == Step::kHangup) {
        log::info("screen", {{"client", run.ip}, {"result", "hangup"}});
        auto ending = hang_up(run, ScreenEvent::kHangup, "");
        co_return co_await std::move(ending);
    }
    auto deciding = verdict(run);
    co_return co_await std::move(deciding);
}

}  // namespace ringpost::server
