#include "api/injector.hpp"

#include <atomic>
#include <memory>

#include "io/ring.hpp"
#include "mail/eight_bit_downgrade.hpp"
#include "smtp/smtp_metrics.hpp"

namespace ringpost::api {

namespace {

// An address goes into an SMTP command line: nothing that could end the
// line or the path (a CR LF here would be command injection).
bool safe_in_path(std::string_view a) {
    for (unsigned char c : a)
        if (c < 0x21 || c == 0x7f || c == '<' || c == '>') return false;
    return true;
}

bool non_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return true;
    return false;
}

// The session as a submission session of a client that has logged in:
// Date and Message-ID added when missing (RFC 6409 8.2, 8.3), no error
// limits (an API caller gets every refusal back instead of a delay).
smtp::SessionConfig injection_config(smtp::SessionConfig c) {
    c.submission = true;
    c.require_sender_match = false;
    c.advertise_starttls = false;
    c.auth_available = false;
    c.limits.soft_error_limit = 0;
    c.limits.hard_error_limit = 0;
    c.limits.junk_command_limit = 0;
    c.limits.max_messages_per_session = 0;
    return c;
}

// Feeds one command (or BDAT with its data) and returns the event that
// stopped the session: kCommit for a complete message, else kNeedInput
// with the replies in `out`.
smtp::Event step(smtp::Session& s, std::string_view input, std::string& out) {
    out.clear();
    while (true) {
        size_t consumed = 0;
        const smtp::Event ev = s.feed(input, consumed, out);
        input.remove_prefix(consumed);
        if (ev != smtp::Event::kNeedInput || input.empty() || consumed == 0) return ev;
    }
}

bool positive(const Refusal& r) { return r.code >= 200 && r.code < 400; }

// Awaits the commit of several messages at once: all go to the commit
// stage together (one group commit for the lot when it is idle), and the
// coroutine resumes on its ring when the last one is durable.
struct CommitAll {
    smtp::Spool& spool;
    std::vector<smtp::AcceptedMessage>& messages;
    std::vector<Result<void>> results;
    std::atomic<size_t> pending{0};
    io::Ring* ring = nullptr;
    std::coroutine_handle<> handle;

    bool await_ready() const noexcept { return messages.empty(); }
    void await_suspend(std::coroutine_handle<> h) {
        handle = h;
        ring = io::Ring::current();
        results.assign(messages.size(), Result<void>{});
        pending = messages.size();
        for (size_t i = 0; i < messages.size(); ++i)
            spool.commit(std::move(messages[i]), [this, i](const Result<void>& r) {
                results[i] = r;
                if (pending.fetch_sub(1) == 1) ring->post_resume(handle);
            });
    }
    void await_resume() const noexcept {}
};

}  // namespace

Injector::Injector(const smtp::SessionConfig& config, smtp::Policy& policy, smtp::Spool& spool,
                   smtp::MessageFilter* filter)
    : config_(injection_config(config)), policy_(policy), spool_(spool), filter_(filter) {}

Refusal parse_last_reply(std::string_view replies) {
    while (replies.ends_with("\r\n")) replies.remove_suffix(2);
    const size_t start = replies.rfind("\r\n");
    std::string_view line = start == replies.npos ? replies : replies.substr(start + 2);
    Refusal r;
    if (line.size() < 3) return r;
    r.code = static_cast<uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
    line.remove_prefix(std::min<size_t>(4, line.size()));
    const size_t sp = line.find(' ');
    std::string_view first = line.substr(0, sp);
    const bool enhanced = first.size() >= 5 && first[1] == '.' && (first[0] == '2' || first[0] == '4' || first[0] == '5') &&
                          first.find_first_not_of("0123456789.") == first.npos;
    if (enhanced) {
        r.enhanced = std::string(first);
        line = sp == line.npos ? std::string_view() : line.substr(sp + 1);
    }
    r.text = std::string(line);
    return r;
}

Injector::Prepared Injector::prepare(InjectionMessage& m, const InjectionCaller& caller, InjectionResult& result) {
    Prepared p;
    smtp::ClientInfo client;
    client.ip = caller.client_ip;
    client.tls = caller.tls;
    client.tls_version = caller.tls_version;
    client.tls_cipher = caller.tls_cipher;
    client.authenticated = true;   // the HTTP layer checked the token or the network
    client.auth_user = caller.user;
    client.relay_allowed = true;
    client.protocol = caller.tls ? "HTTPS" : "HTTP";
    smtp::Session session(config_, policy_, client);
    std::string out;
    session.greet(out);
    step(session, "EHLO http-api\r\n", out);
    bool utf8 = non_ascii(m.sender);
    for (const auto& r : m.recipients) utf8 = utf8 || non_ascii(r);
    if (!safe_in_path(m.sender)) {
        result.refusal = {501, "5.1.7", "Bad sender address syntax"};
        return p;
    }
    std::string mail = "MAIL FROM:<" + m.sender + ">";
    if (mail::has_8bit(m.content)) mail += " BODY=8BITMIME";
    if (utf8) mail += " SMTPUTF8";
    step(session, mail + "\r\n", out);
    if (Refusal r = parse_last_reply(out); !positive(r)) {
        result.refusal = std::move(r);
        return p;
    }
    for (const std::string& rcpt : m.recipients) {
        Refusal r{501, "5.1.3", "Bad recipient address syntax"};
        if (safe_in_path(rcpt)) {
            step(session, "RCPT TO:<" + rcpt + ">\r\n", out);
            r = parse_last_reply(out);
        }
        if (positive(r)) result.accepted.push_back(rcpt);
        else result.refused.push_back({rcpt, std::move(r)});
    }
    if (result.accepted.empty()) {
        result.refusal = result.refused.empty() ? Refusal{554, "5.5.1", "No valid recipients"} : result.refused.front().reply;
        return p;
    }
    // The command, then the chunk on its own: the session copies the bytes
    // once, into the message, and nothing is joined before.
    const std::string bdat = "BDAT " + std::to_string(m.content.size()) + " LAST\r\n";
    std::string replies;
    smtp::Event ev = step(session, bdat, replies);
    if (ev == smtp::Event::kNeedInput) ev = step(session, m.content, out);
    out.insert(0, replies);
    std::string().swap(m.content);
    if (ev != smtp::Event::kCommit) {
        result.refusal = parse_last_reply(out);
        if (result.refusal.code == 0) result.refusal = {451, "4.3.0", "The message was not accepted"};
        return p;
    }
    p.message = session.take_message();
    p.ready = true;
    return p;
}

io::Task<std::vector<InjectionResult>> Injector::inject(std::vector<InjectionMessage> messages, InjectionCaller caller) {
    std::vector<InjectionResult> results(messages.size());
    std::vector<smtp::AcceptedMessage> ready;
    std::vector<size_t> ready_index;
    std::vector<uint64_t> sizes;
    for (size_t i = 0; i < messages.size(); ++i) {
        Prepared p = prepare(messages[i], caller, results[i]);
        if (!p.ready) continue;
        if (filter_) {
            auto filtering = filter_->filter(p.message);
            smtp::FilterVerdict verdict = co_await std::move(filtering);
            if (verdict.discard) {
                // A milter dropped it: reported as queued, never committed.
                results[i].queue_id = p.message.envelope.queue_id;
                continue;
            }
            if (!verdict.accepted()) {
                results[i].refusal = {verdict.code, verdict.enhanced, verdict.text};
                results[i].accepted.clear();
                continue;
            }
        }
        results[i].queue_id = p.message.envelope.queue_id;
        sizes.push_back(p.message.data.size());
        ready.push_back(std::move(p.message));
        ready_index.push_back(i);
    }
    CommitAll committing{spool_, ready, {}, {}, nullptr, {}};
    co_await committing;
    for (size_t k = 0; k < ready_index.size(); ++k) {
        if (committing.results.empty() || committing.results[k].ok()) {
            // Counted as the SMTP session counts its 250s (ringpost_messages_accepted_total).
            smtp::smtp_metrics().messages_accepted.inc();
            smtp::smtp_metrics().bytes_accepted.inc(sizes[k]);
            continue;
        }
        InjectionResult& r = results[ready_index[k]];
        r.queue_id.clear();
        r.accepted.clear();
        const bool stopping = committing.results[k].error().code == Condition::kShuttingDown;
        r.refusal = stopping ? Refusal{421, "4.3.2", "Service shutting down"}
                             : Refusal{451, "4.3.0", "Temporary failure storing the message: " + committing.results[k].error().message};
    }
    co_return results;
}

}  // namespace ringpost::api
