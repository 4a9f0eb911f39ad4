// `queue list|show|delete|stats`: the spool, for the operator. `list` is one
// line per message (grep/awk-friendly, unlike postqueue's multi-line
// entries); `show` prints the envelope then, after a blank line, the stored
// message bytes unchanged. Both name the bounce class of a deferred or
// failed recipient's last reply (class=), classified now by the rules of
// the configuration in use: the queue stores the reply, not the class, so
// a changed rules file applies to mail already queued. Each command gathers
// its data once (queue_views.hpp) and renders it as this text or, for a
// JSON caller, as JSON (queue_json.cpp).
#include <algorithm>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "admin/queue_views.hpp"
#include "config/bounce_rules.hpp"
#include "mail/envelope.hpp"
#include "store/store.hpp"

namespace ringpost::admin::detail {
namespace {

std::string bracketed(std::string_view address) { return "<" + printable(address) + ">"; }

std::string notify_text(uint8_t n) {
    if (n == 0) return "default";
    if (n & mail::kNotifyNever) return "NEVER";
    std::string s;
    auto add = [&](const char* w) { s += s.empty() ? w : std::string(",") + w; };
    if (n & mail::kNotifySuccess) add("SUCCESS");
    if (n & mail::kNotifyFailure) add("FAILURE");
    if (n & mail::kNotifyDelay) add("DELAY");
    return s;
}

// "..." with backslash escapes, like a logfmt value: one field, one line.
std::string quoted_value(std::string_view s) {
    std::string out = "\"";
    for (char c : printable(s)) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string or_dash(std::string_view s) { return s.empty() ? "-" : printable(s); }

// Why a message is held: "Gtube pattern (milter rspamd)", "(operator)".
std::string hold_text(const mail::Envelope& env) {
    const std::string who = env.hold_milter.empty() ? "(operator)" : "(milter " + env.hold_milter + ")";
    return env.hold_reason.empty() ? who : env.hold_reason + " " + who;
}

std::string plural(uint64_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// The classifier of the configuration in use (the built-in rules without one).
std::shared_ptr<const delivery::BounceClassifier> classifier_of(const AdminExtras& extras) {
    return config::bounce_classifier(extras.config ? *extras.config : config::default_config());
}

// The bounce class of a recipient with a last reply that is a deferral or
// failure; "" otherwise.
std::string bounce_class(const delivery::BounceClassifier& classifier, const mail::Recipient& r) {
    if (r.last_reply.empty() || (r.state != mail::RcptState::kDeferred && r.state != mail::RcptState::kFailed))
        return {};
    return std::string(delivery::bounce_class_name(classifier.classify(r.last_reply)));
}

// " class=mailbox-full", or "" for no class.
std::string class_field(const std::string& bounce_class) {
    return bounce_class.empty() ? std::string() : " class=" + bounce_class;
}

ClassifiedMessage classified(mail::Envelope env, const delivery::BounceClassifier& classifier) {
    ClassifiedMessage m{std::move(env), {}};
    for (const auto& r : m.env.recipients) m.classes.push_back(bounce_class(classifier, r));
    return m;
}

}  // namespace

const char* state_name(mail::RcptState s) {
    switch (s) {
        case mail::RcptState::kQueued: return "queued";
        case mail::RcptState::kDelivered: return "delivered";
        case mail::RcptState::kFailed: return "failed";
        case mail::RcptState::kDeferred: return "deferred";
    }
    return "unknown";
}

const char* ret_text(mail::DsnRet r) {
    switch (r) {
        case mail::DsnRet::kFull: return "FULL";
        case mail::DsnRet::kHeaders: return "HDRS";
        case mail::DsnRet::kUnset: break;
    }
    return "-";
}

const char* body_text(mail::BodyType b) {
    switch (b) {
        case mail::BodyType::k8BitMime: return "8BITMIME";
        case mail::BodyType::kBinaryMime: return "BINARYMIME";
        case mail::BodyType::k7Bit: break;
    }
    return "7BIT";
}

int load_queued(store::Spool& spool, const std::string& arg, mail::Envelope& env, std::string& body,
                std::string& err) {
    std::string id;
    int code = 0;
    if (!parse_queue_id(arg, id, err, code)) return code;
    auto env_r = spool.get_envelope(id);
    if (!env_r) return store_fail(err, env_r.error());
    if (!*env_r) return fail(err, kExitFailure, "no such queue ID: " + id);
    auto body_r = spool.get_body(id);
    if (!body_r) return store_fail(err, body_r.error());
    if (!*body_r) return fail(err, kExitFailure, "queue ID " + id + ": message body missing from the store");
    env = std::move(**env_r);
    body = std::move(**body_r);
    return kExitOk;
}

// Queue IDs are upper-case hex; accept what a user may have lower-cased.
bool parse_queue_id(const std::string& arg, std::string& id, std::string& err, int& code) {
    id = arg;
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); });
    if (!store::is_valid_queue_id(id)) {
        code = fail(err, kExitUsage, "\"" + printable(arg) + "\" is not a queue ID (16 hex digits)");
        return false;
    }
    return true;
}

QueueListing list_queue(std::vector<mail::Envelope> envelopes, const AdminExtras& extras) {
    const auto classifier = classifier_of(extras);
    QueueListing listing;
    for (auto& env : envelopes) {
        ListedMessage m{classified(std::move(env), *classifier)};
        const auto& rcpts = m.env.recipients;
        for (size_t i = 0; i < rcpts.size(); ++i) {
            if (!mail::is_pending(rcpts[i].state)) continue;
            ++m.pending;
            m.attempts = std::max(m.attempts, rcpts[i].attempts);
            if (m.last_error < 0 && !rcpts[i].last_reply.empty()) m.last_error = static_cast<int>(i);
        }
        listing.bytes += m.env.body_size;
        listing.recipients_pending += m.pending;
        listing.held += m.env.held ? 1 : 0;
        listing.messages.push_back(std::move(m));
    }
    return listing;
}

namespace {

void listing_text(std::string& out, const QueueListing& listing) {
    for (const ListedMessage& m : listing.messages) {
        const mail::Envelope& env = m.env;
        std::string line = fmt::format("{} {:>9} {} {}", env.queue_id, env.body_size, iso_time(env.received_at),
                                       env.sender.empty() ? "<>" : bracketed(env.sender));
        for (const auto& r : env.recipients)
            if (mail::is_pending(r.state)) line += " " + bracketed(r.address);
        if (m.pending == 0) line += " (no recipients pending)";
        // A held message is due at no time: `held` instead of its stale due time.
        line += fmt::format(" next={} attempts={}", env.held ? "held" : iso_time(env.next_attempt), m.attempts);
        if (env.held) line += " held=" + quoted_value(hold_text(env));
        if (m.last_error >= 0)
            line += " last_error=" + quoted_value(env.recipients[m.last_error].last_reply) +
                    class_field(m.classes[m.last_error]);
        out += line + "\n";
    }
    out += fmt::format("-- {}, {}, {} pending", plural(listing.messages.size(), "message"),
                       plural(listing.bytes, "byte"), plural(listing.recipients_pending, "recipient"));
    out += listing.held == 0 ? "\n" : fmt::format(", {} held\n", listing.held);
}

void shown_text(std::string& out, const ShownMessage& shown) {
    const mail::Envelope& env = shown.env;
    out += "queue_id: " + env.queue_id + "\n";
    out += "sender: " + (env.sender.empty() ? std::string("<>") : bracketed(env.sender)) + "\n";
    for (size_t i = 0; i < env.recipients.size(); ++i) {
        const mail::Recipient& r = env.recipients[i];
        out += fmt::format("recipient: {} state={} notify={} orcpt={} local={} attempts={}", bracketed(r.address),
                           state_name(r.state), notify_text(r.notify), or_dash(r.orcpt), r.local ? "yes" : "no",
                           r.attempts);
        out += class_field(shown.classes[i]);
        if (!r.last_reply.empty()) out += " last_reply=" + printable(r.last_reply);
        out += "\n";
    }
    out += "envid: " + or_dash(env.envid) + "\n";
    out += std::string("ret: ") + ret_text(env.ret) + "\n";
    out += std::string("body_type: ") + body_text(env.body_type) + "\n";
    out += std::string("smtputf8: ") + (env.smtputf8 ? "yes" : "no") + "\n";
    out += "client: " + or_dash(env.client_ip) + "\n";
    out += "helo: " + or_dash(env.helo) + "\n";
    out += "protocol: " + or_dash(env.protocol) + "\n";
    out += "pool: " + (env.pool.empty() ? std::string("(default)") : env.pool) + "\n";   // [egress] pool
    out += "received: " + iso_time(env.received_at) + "\n";
    out += "next_attempt: " + iso_time(env.next_attempt) + "\n";
    if (env.held) out += "held: " + printable(hold_text(env)) + "\n";
    out += fmt::format("size: {}\n", env.body_size);
    out += "\n";
    out += shown.body;
}

}  // namespace

int queue_list(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    auto envelopes = store.spool().list();
    if (!envelopes) return store_fail(err, envelopes.error());
    const QueueListing listing = list_queue(std::move(*envelopes), extras);
    if (format == OutputFormat::kJson) write_json(out, listing_json(listing));
    else listing_text(out, listing);
    return kExitOk;
}

int queue_show(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    mail::Envelope env;
    std::string body;
    if (int code = load_queued(store.spool(), operands[0], env, body, err); code != kExitOk) return code;
    const ShownMessage shown{classified(std::move(env), *classifier_of(extras)), std::move(body)};
    if (format == OutputFormat::kJson) write_json(out, shown_json(shown));
    else shown_text(out, shown);
    return kExitOk;
}

int queue_delete(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    std::string id;
    int code = 0;
    if (!parse_queue_id(operands[0], id, err, code)) return code;
    auto env = store.spool().get_envelope(id);
    if (!env) return store_fail(err, env.error());
    if (!*env) return fail(err, kExitFailure, "no such queue ID: " + id);
    if (auto r = store.spool().remove(id); !r) return store_fail(err, r.error());
    return answer(call, "deleted " + id + "\n", Json{{"queue_id", id}, {"deleted", true}});
}

namespace {

std::string age_text(int64_t seconds) {
    if (seconds < 0) seconds = 0;
    if (seconds < 120) return fmt::format("{}s", seconds);
    if (seconds < 7200) return fmt::format("{}m", seconds / 60);
    if (seconds < 172800) return fmt::format("{}h{}m", seconds / 3600, seconds % 3600 / 60);
    return fmt::format("{}d{}h", seconds / 86400, seconds % 86400 / 3600);
}

}  // namespace

int queue_stats(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    auto st = store.spool().stats();
    if (!st) return store_fail(err, st.error());
    const int64_t now = unix_now();
    if (format == OutputFormat::kJson) {
        write_json(out, stats_json(*st, now));
        return kExitOk;
    }
    out += fmt::format("messages: {}\n", st->messages);
    out += fmt::format("recipients_pending: {}\n", st->recipients_pending);
    out += fmt::format("held: {}\n", st->held);
    out += fmt::format("bytes: {}\n", st->bytes);
    if (st->oldest == 0) out += "oldest: -\n";
    else out += fmt::format("oldest: {} (age {})\n", iso_time(st->oldest), age_text(now - st->oldest));
    return kExitOk;
}

}  // namespace ringpost::admin::detail
