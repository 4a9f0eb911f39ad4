// Milters between the end of data and the commit; see milter_filter.hpp.
#include "server/milter_filter.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <stdexcept>
#include <system_error>

#include "milter/edit.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

using milter::Clock;
using ConnectionPtr = std::unique_ptr<milter::Connection>;

// Idle connections of this thread (one worker's ring), per filter and
// milter: a session takes one, or opens one when there is none, and puts
// it back after its message. A filter's id, not its address, names it, so
// that a later filter at the same address never finds another's sockets.
thread_local std::map<std::pair<uint64_t, size_t>, std::vector<ConnectionPtr>> t_idle;
std::atomic<uint64_t> g_next_filter_id{1};
constexpr size_t kMaxIdlePerMilter = 16;
// rspamd drops a milter connection after its own timeout (60 s and up);
// older idle connections are closed rather than tried.
constexpr auto kMaxIdleAge = std::chrono::seconds(30);

const char* verdict_name(milter::Verdict v) {
    switch (v) {
    case milter::Verdict::kAccept: return "accept";
    case milter::Verdict::kReject: return "reject";
    case milter::Verdict::kTempfail: return "tempfail";
    case milter::Verdict::kDiscard: return "discard";
    }
    return "?";
}

// A milter's reply text, safe in an SMTP reply line: printable ASCII only.
std::string milter_reply_text(const std::string& text, const char* fallback) {
    std::string out;
    for (char c : text) out.push_back(c >= ' ' && c < 127 ? c : ' ');
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.size() > 400) out.resize(400);
    return out.empty() ? fallback : out;
}

smtp::FilterVerdict refusal(const milter::SmtpReply& given, uint16_t code, const char* enhanced, const char* text) {
    // 421 would promise a hang-up the session does not make: the default code instead.
    const bool own = given.code / 100 == code / 100 && given.code != 421;
    return {own ? given.code : code, own && !given.enhanced.empty() ? given.enhanced : enhanced,
            milter_reply_text(own ? given.text : std::string(), text)};
}

}  // namespace

MilterFilter::MilterFilter(const std::vector<config::MilterConfig>& milters, std::string hostname, smtp::Policy& policy)
    : hostname_(std::move(hostname)), policy_(policy) {
    id_ = g_next_filter_id++;
    std::vector<config::MilterConfig> ordered = milters;
    // [milters.NAME] tables run in the order of their names (TOML tables are unordered).
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const config::MilterConfig& c : ordered) {
        auto endpoint = milter::parse_endpoint(c.address);
        if (!endpoint) throw std::runtime_error("milters." + c.name + ".address: " + endpoint.error().message);
        milter::Timeouts t{std::chrono::milliseconds(c.connect_timeout_ms), std::chrono::milliseconds(c.command_timeout_ms),
                           std::chrono::milliseconds(c.total_timeout_ms)};
        milters_.push_back({c, std::move(endpoint).value(), t, milter_metrics(c.name, c.on_failure)});
        log::info("milter", {{"name", c.name}, {"address", c.address}, {"on_failure", c.on_failure}});
    }
}

MilterFilter::~MilterFilter() = default;

bool MilterFilter::applies(const Milter& m, const smtp::AcceptedMessage& message) const {
    const char* kind = message.envelope.protocol == "HTTP" ? "http" : message.origin.submission ? "submission" : "smtp";
    return std::find(m.config.apply_to.begin(), m.config.apply_to.end(), kind) != m.config.apply_to.end();
}

io::Task<smtp::FilterVerdict> MilterFilter::filter(smtp::AcceptedMessage& message) {
    for (size_t i = 0; i < milters_.size(); ++i) {
        if (!applies(milters_[i], message)) continue;
        auto running = run_one(i, message);
        smtp::FilterVerdict verdict = co_await std::move(running);
        if (!verdict.accepted()) co_return verdict;
    }
    co_return smtp::FilterVerdict{};
}

io::Task<smtp::FilterVerdict> MilterFilter::run_one(size_t index, smtp::AcceptedMessage& message) {
    const Milter& m = milters_[index];
    const smtp::MessageOrigin& o = message.origin;
    milter::Transaction t{&message.envelope, message.data, hostname_, o.auth_user, o.client_port,
                          o.tls_version, o.tls_cipher, o.tls_cipher_bits};
    const auto started = Clock::now();
    auto conversing = converse(index, t);
    Result<milter::Outcome> outcome = co_await std::move(conversing);
    m.metrics.exchange_us.observe(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count()));
    if (!outcome) co_return failed(m, message, outcome.error());
    co_return apply(m, *outcome, message);
}

io::Task<Result<milter::Outcome>> MilterFilter::converse(size_t index, const milter::Transaction& t) {
    const Milter& m = milters_[index];
    const Clock::time_point deadline = Clock::now() + m.timeouts.total;
    std::vector<ConnectionPtr>& idle = t_idle[{id_, index}];
    // A reused connection that fails before the milter answered anything
    // may have been closed by the milter while idle: one more try on a
    // fresh one. A fresh one that fails is the milter's failure.
    for (;;) {
        ConnectionPtr c;
        while (!idle.empty() && !c) {
            c = std::move(idle.back());
            idle.pop_back();
            if (Clock::now() - c->idle_since() > kMaxIdleAge) {
                auto closing = c->close();
                co_await std::move(closing);
                c.reset();
            }
        }
        const bool reused = c != nullptr;
        if (!c) {
            auto opening = milter::Connection::open(m.endpoint, m.timeouts, deadline);
            Result<ConnectionPtr> opened = co_await std::move(opening);
            if (!opened) co_return opened.error();
            c = std::move(opened).value();
        }
        auto running = c->run(t, m.timeouts, deadline);
        Result<milter::Outcome> r = co_await std::move(running);
        const bool retry = !r && reused && !c->answered();
        if (r && c->reusable() && idle.size() < kMaxIdlePerMilter) {
            idle.push_back(std::move(c));
        } else {
            auto closing = c->close();
            co_await std::move(closing);
        }
        if (!retry) co_return r;
    }
}

smtp::FilterVerdict MilterFilter::apply(const Milter& m, milter::Outcome& outcome, smtp::AcceptedMessage& message) {
    mail::Envelope& env = message.envelope;
    const std::string& name = m.config.name;
    switch (outcome.verdict) {
    case milter::Verdict::kReject:
        m.metrics.count(MilterResult::kReject);
        log::info("milter_reject", {{"qid", env.queue_id}, {"milter", name}, {"client", env.client_ip},
                                    {"reply", outcome.reply.text}});
        return refusal(outcome.reply, 550, "5.7.1", "Message rejected by content filter");
    case milter::Verdict::kTempfail:
        m.metrics.count(MilterResult::kTempfail);
        log::info("milter_tempfail", {{"qid", env.queue_id}, {"milter", name}, {"client", env.client_ip},
                                      {"reply", outcome.reply.text}});
        return refusal(outcome.reply, 451, "4.7.1", "Message temporarily refused by content filter, try again later");
    case milter::Verdict::kDiscard: {
        m.metrics.count(MilterResult::kDiscard);
        log::info("milter_discard", {{"qid", env.queue_id}, {"milter", name}, {"client", env.client_ip},
                                     {"sender", env.sender}, {"recipients", env.recipients.size()}});
        smtp::FilterVerdict v;
        v.discard = true;
        return v;
    }
    case milter::Verdict::kAccept:
        break;
    }
    auto check = [this](mail::Recipient& r) {
        smtp::ClientInfo trusted;
        trusted.relay_allowed = true;   // the milter speaks for the server
        const smtp::RcptVerdict v = policy_.check_recipient(r.address, trusted);
        r.local = v == smtp::RcptVerdict::kAcceptLocal;
        return v == smtp::RcptVerdict::kAcceptLocal || v == smtp::RcptVerdict::kAcceptRelay;
    };
    const milter::EditSummary s = milter::apply_edits(outcome.edits, env, message.data, check);
    for (const std::string& refused : s.rcpts_refused)
        log::warn("milter_rcpt_refused", {{"qid", env.queue_id}, {"milter", name}, {"rcpt", refused}});
    m.metrics.count(outcome.quarantined ? MilterResult::kQuarantine : MilterResult::kAccept);
    if (outcome.quarantined && !env.held) {
        // Postfix's hold queue: accepted (250) and spooled, with the hold in
        // the same commit, but not delivered until `queue release`
        // (docs/INBOUND.md "Milter"). The first milter's reason is kept.
        env.held = true;
        env.hold_reason = milter_reply_text(outcome.quarantine_reason, "quarantined");
        env.hold_milter = name;
        log::info("milter_quarantine", {{"qid", env.queue_id}, {"milter", name}, {"reason", env.hold_reason}});
    }
    log::debug("milter_accept", {{"qid", env.queue_id}, {"milter", name}, {"headers", s.headers},
                                 {"body_replaced", s.body_replaced ? "yes" : "no"}, {"rcpts_added", s.rcpts_added},
                                 {"rcpts_deleted", s.rcpts_deleted}, {"verdict", verdict_name(outcome.verdict)}});
    if (env.recipients.empty()) {
        // Every recipient deleted: nothing left to deliver, as a discard.
        log::info("milter_discard", {{"qid", env.queue_id}, {"milter", name}, {"reason", "no recipients left"}});
        smtp::FilterVerdict v;
        v.discard = true;
        return v;
    }
    return {};
}

smtp::FilterVerdict MilterFilter::failed(const Milter& m, const smtp::AcceptedMessage& message, const Error& error) const {
    const std::string& action = m.config.on_failure;
    m.metrics.count(MilterResult::kFailed);
    // A deadline that passed: the recv or connect was cancelled (ECANCELED)
    // or the total ran out (ETIME); anything else is an error.
    const bool timeout = error.code.category() == std::generic_category() &&
                         (error.code.value() == ETIME || error.code.value() == ECANCELED);
    (timeout ? m.metrics.timeouts : m.metrics.errors).inc();
    log::warn("milter_failed", {{"qid", message.envelope.queue_id}, {"milter", m.config.name},
                                {"address", m.endpoint.text}, {"error", error.message}, {"action", action}});
    if (action == "accept") return {};
    if (action == "reject") return {550, "5.7.1", "Message rejected: content filter unavailable"};
    return {451, "4.7.1", "Content filter unavailable, try again later"};
}

}  // namespace ringpost::server
