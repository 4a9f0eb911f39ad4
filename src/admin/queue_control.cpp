// Queue control per destination domain and site, while serving (issue 13):
//  * summary: per domain (and per site, as the running engine groups
//    domains) the messages and recipients waiting, the oldest, and how many
//    are how old -- Postfix's qshape buckets -- then the suspensions;
//  * suspend / resume: durable (the store's), and the running engine holds
//    or releases the mail at once; resuming makes the held messages due;
//  * retry --domain: that domain's pending messages are due now;
//  * bounce --domain: that domain's pending recipients fail, with DSNs.
#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "admin/queue_views.hpp"
#include "delivery/engine.hpp"
#include "delivery/suspensions.hpp"
#include "store/store.hpp"
#include "util/ascii.hpp"
#include "util/duration.hpp"

namespace ringpost::admin::detail {
namespace {

// The recipient's domain, lower-cased; "" for a bare local name.
std::string domain_of(const mail::Recipient& r) {
    const size_t at = r.address.rfind('@');
    return at == std::string::npos ? std::string() : util::ascii_lower(std::string_view(r.address).substr(at + 1));
}

// The age in its largest unit only ("3h", not queue list's "3h12m"): the
// OLDEST column of `queue summary` is 7 characters wide.
std::string age_in_one_unit(int64_t seconds) {
    if (seconds < 120) return fmt::format("{}s", seconds);
    if (seconds < 7200) return fmt::format("{}m", seconds / 60);
    if (seconds < 172800) return fmt::format("{}h", seconds / 3600);
    return fmt::format("{}d", seconds / 86400);
}

void print_shapes(std::string& out, std::string_view what, const std::map<std::string, Shape>& shapes, int64_t now,
                  const std::map<std::string, std::string>* site_of) {
    out += fmt::format("{:<32}{}{:>7} {:>7} {:>7} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6}\n", what,
                       site_of ? fmt::format(" {:<28}", "SITE") : "", "MSGS", "RCPTS", "OLDEST", "<5m", "<10m", "<20m",
                       "<40m", "<80m", "<160m", "<320m", "<640m", "<1280m", "1280m+");
    for (const auto& [name, s] : shapes) {
        std::string site;
        if (site_of) {
            auto it = site_of->find(name);
            site = fmt::format(" {:<28}", it == site_of->end() ? "-" : printable(it->second));
        }
        out += fmt::format("{:<32}{}{:>7} {:>7} {:>7}", printable(name), site, s.messages, s.recipients,
                           age_in_one_unit(now - s.oldest));
        for (size_t b = 0; b < s.ages.size(); ++b) out += fmt::format(" {:>{}}", s.ages[b], b == s.ages.size() - 1 ? 6 : 5);
        out += "\n";
    }
}

// A target names a domain or a site: lower-case, no blanks or control bytes.
bool valid_target(const std::string& t) {
    return !t.empty() && std::none_of(t.begin(), t.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
    });
}

QueueSummary gather_summary(const std::vector<mail::Envelope>& envelopes, std::map<std::string, std::string> site_of,
                            std::vector<store::Suspension> suspensions) {
    QueueSummary summary{unix_now(), std::move(site_of), {}, {}, std::move(suspensions), {}, 0};
    for (const auto& env : envelopes) {
        if (env.held) {
            ++summary.held;
            continue;
        }
        std::map<std::string, uint64_t> per_domain;   // pending recipients of this message per domain
        for (const auto& r : env.recipients)
            if (mail::is_pending(r.state)) ++per_domain[r.local ? std::string("(local)") : domain_of(r)];
        std::map<std::string, uint64_t> per_site;
        for (const auto& [domain, n] : per_domain) {
            summary.domains[domain].add(env, n, summary.now);
            auto it = summary.site_of.find(domain);
            if (it != summary.site_of.end()) per_site[it->second] += n;
        }
        for (const auto& [site, n] : per_site) summary.sites[site].add(env, n, summary.now);
    }
    return summary;
}

// The running engine's suspensions that the store does not have: shaping
// automation's, in memory only.
void add_automatic(QueueSummary& summary, const std::vector<delivery::Held>& in_force) {
    for (const delivery::Held& h : in_force) {
        const bool durable = std::any_of(summary.suspensions.begin(), summary.suspensions.end(),
                                         [&](const store::Suspension& s) { return s.target == h.target; });
        if (durable) continue;
        summary.suspensions.push_back(store::Suspension{h.target, h.until, 0, h.reason});
        summary.automatic.insert(h.target);
    }
}

void summary_text(std::string& out, const QueueSummary& summary) {
    print_shapes(out, "DOMAIN", summary.domains, summary.now, &summary.site_of);
    if (!summary.sites.empty()) {
        out += "\n";
        print_shapes(out, "SITE", summary.sites, summary.now, nullptr);
    }
    out += "\n";
    for (const auto& s : summary.suspensions) {
        const bool automatic = summary.automatic.count(s.target) > 0;
        out += fmt::format("suspended {} until {} {}{}\n", printable(s.target),
                           s.until == 0 ? std::string("resumed") : iso_time(s.until),
                           automatic ? std::string("(automatic)") : "since " + iso_time(s.since),
                           s.reason.empty() ? "" : ": " + printable(s.reason));
    }
    if (summary.held != 0)
        out += fmt::format("held {} message{} (not delivered until queue release)\n", summary.held,
                           summary.held == 1 ? "" : "s");
    const size_t domains = summary.domains.size(), suspensions = summary.suspensions.size();
    out += fmt::format("-- {} domain{}, {} suspension{}\n", domains, domains == 1 ? "" : "s", suspensions,
                       suspensions == 1 ? "" : "s");
}

}  // namespace

bool pending_in_domain(const mail::Recipient& r, const std::string& domain) {
    return mail::is_pending(r.state) && domain_of(r) == domain;
}

void Shape::add(const mail::Envelope& env, uint64_t rcpts, int64_t now) {
    ++messages;
    recipients += rcpts;
    if (oldest == 0 || env.received_at < oldest) oldest = env.received_at;
    const int64_t minutes = std::max<int64_t>(0, now - env.received_at) / 60;
    size_t b = 0;
    while (minutes >= kBucketMinutes[b]) ++b;
    ++ages[b];
}

Result<QueueSummary> summarize_queue(store::Store& store, const AdminExtras& extras,
                                     const std::vector<mail::Envelope>& envelopes) {
    auto suspended = store.spool().suspensions();
    if (!suspended) return suspended.error();
    QueueSummary summary =
        gather_summary(envelopes, extras.engine ? extras.engine->domain_sites() : std::map<std::string, std::string>{},
                       std::move(*suspended));
    if (extras.engine) add_automatic(summary, extras.engine->suspensions_in_force());
    return summary;
}

int queue_summary(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    auto envelopes = store.spool().list();
    if (!envelopes) return store_fail(err, envelopes.error());
    auto summary = summarize_queue(store, extras, *envelopes);
    if (!summary) return store_fail(err, summary.error());
    if (format == OutputFormat::kJson) write_json(out, summary_json(*summary));
    else summary_text(out, *summary);
    return kExitOk;
}

int queue_suspend(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    store::Suspension s;
    s.target = util::ascii_lower(operands[0]);
    if (!valid_target(s.target)) return fail(err, kExitUsage, "expected a domain or a site name, got \"" + printable(operands[0]) + "\"");
    // One clock reading for both ends: a second boundary passed between two
    // readings made a 2 h suspension 7202 s long.
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    s.since = std::chrono::floor<std::chrono::seconds>(now).count();
    if (auto f = options.find("for"); f != options.end()) {
        auto d = util::parse_duration(f->second);
        if (!d || d->count() == 0) return fail(err, kExitUsage, "--for: expected a duration like \"30m\" or \"2h\", got \"" + printable(f->second) + "\"");
        // From the next whole second, as the automation's: a 3 s suspension
        // holds at least 3 s, never 2.1 (the store keeps whole seconds).
        s.until = std::chrono::ceil<std::chrono::seconds>(now).count() + d->count();
    }
    if (auto r = options.find("reason"); r != options.end()) s.reason = r->second;
    if (auto w = store.spool().suspend(s); !w) return store_fail(err, w.error());
    if (extras.engine) extras.engine->suspend(s.target, s.until, s.reason);
    const std::string until = s.until == 0 ? std::string("resumed") : iso_time(s.until);
    return answer(call, fmt::format("suspended {} until {}\n", s.target, until),
                  Json{{"target", s.target}, {"since", time_or_null(s.since)}, {"until", time_or_null(s.until)},
                       {"reason", text_or_null(s.reason)}});
}

int queue_resume(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    const std::string target = util::ascii_lower(operands[0]);
    auto resumed = store.spool().resume(target);
    if (!resumed) return store_fail(err, resumed.error());
    // An automatic suspension (shaping automation) is the engine's alone.
    const bool engine_held = extras.engine && extras.engine->resume(target);
    if (!*resumed && !engine_held) return fail(err, kExitFailure, "no suspension of " + printable(target));
    // The messages held by it are due now instead of at its end / re-check.
    const std::string marker = delivery::suspension_marker(target);
    const int64_t now = unix_now();
    auto moved = store.spool().reschedule_if(now, [&](const mail::Envelope& env) {
        return std::any_of(env.recipients.begin(), env.recipients.end(), [&](const mail::Recipient& r) {
            return mail::is_pending(r.state) && r.last_reply.find(marker) != std::string::npos;
        });
    });
    if (!moved) return store_fail(err, moved.error());
    if (extras.engine) extras.engine->scheduled(now);
    return answer(call, fmt::format("resumed {}: {} held message{} due now\n", target, *moved, *moved == 1 ? "" : "s"),
                  Json{{"target", target}, {"messages_due", *moved}});
}

int queue_retry(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    auto d = options.find("domain");
    if (d == options.end()) return fail(err, kExitUsage, "queue retry: --domain DOMAIN is required");
    const std::string domain = util::ascii_lower(d->second);
    const int64_t now = unix_now();
    auto moved = store.spool().reschedule_if(now, [&](const mail::Envelope& env) {
        return std::any_of(env.recipients.begin(), env.recipients.end(),
                           [&](const mail::Recipient& r) { return pending_in_domain(r, domain); });
    });
    if (!moved) return store_fail(err, moved.error());
    if (extras.engine) extras.engine->scheduled(now);
    return answer(call, fmt::format("retrying {}: {} message{} due now\n", domain, *moved, *moved == 1 ? "" : "s"),
                  Json{{"domain", domain}, {"messages_due", *moved}});
}

int queue_bounce_domain(const CommandCall& call, const std::string& given) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    const std::string domain = util::ascii_lower(given);
    auto envelopes = store.spool().list();
    if (!envelopes) return store_fail(err, envelopes.error());
    size_t messages = 0, recipients = 0;
    for (const auto& env : *envelopes) {
        if (std::none_of(env.recipients.begin(), env.recipients.end(),
                         [&](const mail::Recipient& r) { return pending_in_domain(r, domain); }))
            continue;
        auto body = store.spool().get_body(env.queue_id);
        if (!body) return store_fail(err, body.error());
        if (!*body) continue;   // delivered and removed meanwhile
        size_t bounced = 0;
        const int code = bounce_message(call, env, std::move(**body),
                                        [&](const mail::Recipient& r) { return pending_in_domain(r, domain); }, bounced);
        if (code != kExitOk) return code;
        ++messages;
        recipients += bounced;
    }
    return answer(call,
                  fmt::format("bounced {}: {} recipient{} in {} message{}\n", domain, recipients,
                              recipients == 1 ? "" : "s", messages, messages == 1 ? "" : "s"),
                  Json{{"domain", domain}, {"recipients", recipients}, {"messages", messages}});
}

}  // namespace ringpost::admin::detail
