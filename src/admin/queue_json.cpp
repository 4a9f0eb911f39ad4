// The JSON renderings of `queue list|show|summary|stats` (queue_views.hpp),
// from the same gathered data as their text. Field names and types:
// docs/CLI.md, "JSON output".
#include <algorithm>

#include "admin/commands.hpp"
#include "admin/queue_views.hpp"

namespace ringpost::admin::detail {
namespace {

// RFC 3461 NOTIFY as its keywords; null when not given (the default applies).
Json notify_json(uint8_t n) {
    if (n == 0) return nullptr;
    Json words = Json::array();
    if (n & mail::kNotifyNever) words.push_back("NEVER");
    if (n & mail::kNotifySuccess) words.push_back("SUCCESS");
    if (n & mail::kNotifyFailure) words.push_back("FAILURE");
    if (n & mail::kNotifyDelay) words.push_back("DELAY");
    return words;
}

Json recipients_json(const ClassifiedMessage& m) {
    Json list = Json::array();
    for (size_t i = 0; i < m.env.recipients.size(); ++i) {
        const mail::Recipient& r = m.env.recipients[i];
        list.push_back({{"address", r.address},
                        {"status", state_name(r.state)},
                        {"notify", notify_json(r.notify)},
                        {"orcpt", text_or_null(r.orcpt)},
                        {"local", r.local},
                        {"attempts", r.attempts},
                        {"last_reply", text_or_null(r.last_reply)},
                        {"bounce_class", text_or_null(m.classes[i])}});
    }
    return list;
}

// An age as the text shows it ("OLDEST", "(age 3m)"): the time, its unix
// seconds, and the age in seconds at `now`; all null for 0 (none).
void add_oldest(Json& doc, int64_t oldest, int64_t now) {
    doc["oldest"] = time_or_null(oldest);
    doc["oldest_unix"] = oldest == 0 ? Json() : Json(oldest);
    doc["age_seconds"] = oldest == 0 ? Json() : Json(std::max<int64_t>(0, now - oldest));
}

Json shape_json(std::string_view key, const std::string& name, const Shape& s, int64_t now) {
    Json doc{{std::string(key), name}, {"messages", s.messages}, {"recipients", s.recipients}};
    add_oldest(doc, s.oldest, now);
    Json buckets = Json::array();
    for (size_t b = 0; b < s.ages.size(); ++b)
        buckets.push_back({{"under_minutes", kBucketMinutes[b] == INT64_MAX ? Json() : Json(kBucketMinutes[b])},
                           {"messages", s.ages[b]}});
    doc["age_buckets"] = std::move(buckets);
    return doc;
}

}  // namespace

Json listing_json(const QueueListing& listing) {
    Json messages = Json::array();
    for (const ListedMessage& m : listing.messages)
        messages.push_back({{"queue_id", m.env.queue_id},
                            {"size", m.env.body_size},
                            {"arrival", time_or_null(m.env.received_at)},
                            {"sender", m.env.sender},
                            {"next_attempt", time_or_null(m.env.next_attempt)},
                            {"attempts", m.attempts},
                            {"pending", m.pending},
                            {"held", m.env.held},
                            {"hold_reason", text_or_null(m.env.hold_reason)},
                            {"hold_milter", text_or_null(m.env.hold_milter)},
                            {"recipients", recipients_json(m)}});
    return Json{{"messages", std::move(messages)},
                {"total", {{"messages", listing.messages.size()},
                           {"bytes", listing.bytes},
                           {"recipients_pending", listing.recipients_pending},
                           {"held", listing.held}}}};
}

Json shown_json(const ShownMessage& shown) {
    const mail::Envelope& env = shown.env;
    Json doc{{"queue_id", env.queue_id},
             {"sender", env.sender},
             {"recipients", recipients_json(shown)},
             {"envid", text_or_null(env.envid)},
             {"ret", env.ret == mail::DsnRet::kUnset ? Json() : Json(ret_text(env.ret))},
             {"body_type", body_text(env.body_type)},
             {"smtputf8", env.smtputf8},
             {"client", text_or_null(env.client_ip)},
             {"helo", text_or_null(env.helo)},
             {"protocol", text_or_null(env.protocol)},
             {"pool", text_or_null(env.pool)},
             {"received", time_or_null(env.received_at)},
             {"next_attempt", time_or_null(env.next_attempt)},
             {"held", env.held},
             {"hold_reason", text_or_null(env.hold_reason)},
             {"hold_milter", text_or_null(env.hold_milter)},
             {"size", env.body_size}};
    add_message(doc, shown.body);
    return doc;
}

Json summary_json(const QueueSummary& summary) {
    Json domains = Json::array();
    for (const auto& [domain, shape] : summary.domains) {
        Json d = shape_json("domain", domain, shape, summary.now);
        auto site = summary.site_of.find(domain);
        d["site"] = site == summary.site_of.end() ? Json() : Json(site->second);
        domains.push_back(std::move(d));
    }
    Json sites = Json::array();
    for (const auto& [site, shape] : summary.sites) sites.push_back(shape_json("site", site, shape, summary.now));
    Json suspensions = Json::array();
    for (const store::Suspension& s : summary.suspensions)
        suspensions.push_back({{"target", s.target},
                               {"since", time_or_null(s.since)},
                               {"until", time_or_null(s.until)},
                               {"reason", text_or_null(s.reason)},
                               {"automatic", summary.automatic.count(s.target) > 0}});
    return Json{{"domains", std::move(domains)},
                {"sites", std::move(sites)},
                {"suspensions", std::move(suspensions)},
                {"held", summary.held}};
}

Json stats_json(const store::QueueStats& stats, int64_t now) {
    Json doc{{"messages", stats.messages},
             {"recipients_pending", stats.recipients_pending},
             {"bytes", stats.bytes},
             {"held", stats.held}};
    add_oldest(doc, stats.oldest, now);
    return doc;
}

}  // namespace ringpost::admin::detail
