#include "api/monitoring.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "admin/admin.hpp"
#include "metrics/exposition.hpp"
#include "metrics/registry.hpp"
#include "util/log.hpp"

namespace ringpost::api {

std::string_view status_page_html();   // data/status.html, built in (meson: embed_text.py)

namespace {

using nlohmann::json;

double family_sum(const std::vector<metrics::FamilySnapshot>& families, std::string_view name,
                  std::string_view label = {}, std::string_view value = {}) {
    double total = 0;
    for (const auto& f : families) {
        if (f.name != name) continue;
        const auto at = std::find(f.labels.begin(), f.labels.end(), label) - f.labels.begin();
        for (const auto& s : f.samples)
            if (label.empty() || (static_cast<size_t>(at) < s.values.size() && s.values[at] == value)) total += s.value;
    }
    return total;
}

int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

json site_rows(const json& summary) {
    std::map<std::string, std::vector<std::string>> domains_of;
    json rows = json::array();
    for (const json& d : summary.value("domains", json::array())) {
        if (d.contains("site") && d["site"].is_string()) {
            domains_of[d["site"].get<std::string>()].push_back(d.value("domain", ""));
            continue;
        }
        // Not grouped into a site yet (not resolved, or no engine): a row of its own.
        rows.push_back({{"site", d.value("domain", "")}, {"domains", json::array({d.value("domain", "")})},
                        {"messages", d.value("messages", 0)}, {"recipients", d.value("recipients", 0)},
                        {"oldest_age_s", d.value("age_seconds", 0)}});
    }
    for (const json& s : summary.value("sites", json::array())) {
        const std::string name = s.value("site", "");
        rows.push_back({{"site", name}, {"domains", domains_of[name]}, {"messages", s.value("messages", 0)},
                        {"recipients", s.value("recipients", 0)}, {"oldest_age_s", s.value("age_seconds", 0)}});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) { return a["messages"] > b["messages"]; });
    return rows;
}

json deferrals(const json& list, size_t keep) {
    json out = json::array();
    for (const json& m : list.value("messages", json::array()))
        for (const json& r : m.value("recipients", json::array())) {
            if (r.value("status", "") != "deferred") continue;
            out.push_back({{"queue_id", m.value("queue_id", "")}, {"recipient", r.value("address", "")},
                           {"next_attempt", m.contains("next_attempt") && m["next_attempt"].is_string() ? m["next_attempt"] : json("")},
                           {"attempts", r.value("attempts", 0)},
                           {"class", r.contains("bounce_class") && r["bounce_class"].is_string() ? r["bounce_class"] : json("")},
                           {"reply", r.contains("last_reply") && r["last_reply"].is_string() ? r["last_reply"] : json("")}});
        }
    // The most tried first: those are the ones in trouble for longest.
    std::stable_sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["attempts"] > b["attempts"]; });
    if (out.size() > keep) out.erase(out.begin() + static_cast<long>(keep), out.end());
    return out;
}

// The held messages (queue hold, a milter's quarantine), oldest first,
// the first `keep` of them.
json held_messages(const json& list, size_t keep) {
    json out = json::array();
    auto text = [](const json& m, const char* key) { return m.contains(key) && m[key].is_string() ? m[key] : json(""); };
    for (const json& m : list.value("messages", json::array())) {
        if (!m.value("held", false)) continue;
        out.push_back({{"queue_id", m.value("queue_id", "")}, {"arrival", text(m, "arrival")},
                       {"sender", m.value("sender", "")}, {"reason", text(m, "hold_reason")},
                       {"milter", text(m, "hold_milter")}});
        if (out.size() == keep) break;
    }
    return out;
}

}  // namespace

CounterTotals read_counter_totals() {
    const auto families = metrics::global().snapshot();
    CounterTotals t;
    t.accepted = static_cast<uint64_t>(family_sum(families, "ringpost_messages_accepted_total"));
    t.delivered = static_cast<uint64_t>(family_sum(families, "ringpost_deliveries_total", "result", "delivered"));
    t.deferred = static_cast<uint64_t>(family_sum(families, "ringpost_deliveries_total", "result", "deferred"));
    t.failed = static_cast<uint64_t>(family_sum(families, "ringpost_deliveries_total", "result", "failed"));
    return t;
}

StatusHistory::StatusHistory(std::chrono::seconds interval, size_t keep) : interval_(interval), keep_(keep) {
    series_.interval_s = static_cast<uint32_t>(interval.count());
}

StatusHistory::~StatusHistory() { stop(); }

void StatusHistory::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void StatusHistory::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void StatusHistory::run() {
    add_sample(read_counter_totals());   // the baseline
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
        lock.unlock();
        const CounterTotals now = read_counter_totals();   // runs the gauges' collectors: not under mu_
        add_sample(now);
        lock.lock();
    }
}

void StatusHistory::add_sample(const CounterTotals& now) {
    std::lock_guard lock(mu_);
    if (have_previous_) {
        auto push = [this](std::deque<uint64_t>& d, uint64_t v) {
            d.push_back(v);
            if (d.size() > keep_) d.pop_front();
        };
        push(series_.accepted, now.accepted - std::min(now.accepted, previous_.accepted));
        push(series_.delivered, now.delivered - std::min(now.delivered, previous_.delivered));
        push(series_.deferred, now.deferred - std::min(now.deferred, previous_.deferred));
        push(series_.failed, now.failed - std::min(now.failed, previous_.failed));
    }
    previous_ = now;
    have_previous_ = true;
}

RateSeries StatusHistory::series() const {
    std::lock_guard lock(mu_);
    return series_;
}

MonitoringApi::MonitoringApi(store::Store& store, admin::AdminExtras extras, io::BlockingPool& pool,
                             StatusHistory& history, std::string hostname, std::string version)
    : store_(store), extras_(extras), pool_(pool), history_(history), hostname_(std::move(hostname)),
      version_(std::move(version)) {}

io::Task<http::Response> MonitoringApi::metrics(const http::Request&, const http::Caller&) {
    auto work = [] { return metrics::render_text(); };
    auto running = pool_.run(work);
    Result<std::string> text = co_await std::move(running);
    if (!text) co_return http::Response::error(text.error().code == io::BlockingPool::kBusy ? 503 : 500, text.error().message);
    http::Response r;
    r.headers.add("Content-Type", metrics::kTextContentType);
    r.body = std::move(*text);
    co_return r;
}

io::Task<http::Response> MonitoringApi::status_page(const http::Request&, const http::Caller&) {
    http::Response r;
    r.headers.add("Content-Type", "text/html; charset=utf-8");
    r.headers.add("Cache-Control", "no-store");
    r.body = std::string(status_page_html());
    co_return r;
}

std::string MonitoringApi::gather_status() {
    std::lock_guard lock(cache_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!cached_.empty() && now - cached_at_ < std::chrono::seconds(kStatusCacheSeconds)) return cached_;
    // Both views from one read of the spool.
    auto views = admin::queue_status_json(store_, extras_);
    if (!views) log::warn("status_failed", {{"cmd", "queue summary+list"}, {"error", views.error().message}});
    const admin::QueueStatusJson none{"{}", "{}"};
    const admin::QueueStatusJson& queue = views ? views.value() : none;
    const int64_t uptime = std::chrono::duration_cast<std::chrono::seconds>(now - started_).count();
    cached_ = status_json(queue.summary, queue.list, history_.series(), hostname_, version_, uptime, unix_now());
    cached_at_ = now;
    return cached_;
}

io::Task<http::Response> MonitoringApi::status(const http::Request&, const http::Caller&) {
    auto work = [this] { return gather_status(); };
    auto running = pool_.run(work);
    Result<std::string> doc = co_await std::move(running);
    if (!doc) co_return http::Response::error(doc.error().code == io::BlockingPool::kBusy ? 503 : 500, doc.error().message);
    co_return http::Response::json(200, std::move(*doc));
}

std::string MonitoringApi::status_json(std::string_view summary_text, std::string_view list_text,
                                       const RateSeries& rates, const std::string& hostname,
                                       const std::string& version, int64_t uptime_s, int64_t now) {
    const json summary = json::parse(summary_text, nullptr, false);
    const json list = json::parse(list_text, nullptr, false);
    const json empty = json::object();
    const json& sum = summary.is_object() ? summary : empty;
    const json& lst = list.is_object() ? list : empty;
    int64_t oldest = 0;
    for (const json& d : sum.value("domains", json::array())) oldest = std::max<int64_t>(oldest, d.value("age_seconds", 0));
    const json total = lst.value("total", json::object());
    json suspensions = json::array();
    for (const json& s : sum.value("suspensions", json::array())) {
        suspensions.push_back({{"target", s.value("target", "")},
                               {"until", s.contains("until") && s["until"].is_string() ? s["until"] : json(nullptr)},
                               {"reason", s.contains("reason") && s["reason"].is_string() ? s["reason"] : json("")},
                               {"automatic", s.value("automatic", false)}});
    }
    json sites = site_rows(sum);
    for (json& row : sites) {
        bool held = false;
        for (const json& s : suspensions)
            held = held || s["target"] == row["site"] ||
                   std::find(row["domains"].begin(), row["domains"].end(), s["target"]) != row["domains"].end();
        row["suspended"] = held;
    }
    auto series = [](const std::deque<uint64_t>& d) { return json(std::vector<uint64_t>(d.begin(), d.end())); };
    json doc = {{"time", now},
                {"hostname", hostname},
                {"version", version},
                {"uptime_s", uptime_s},
                {"queue",
                 {{"messages", total.value("messages", 0)},
                  {"recipients", total.value("recipients_pending", 0)},
                  {"held", total.value("held", 0)},
                  {"oldest_age_s", oldest}}},
                {"sites", std::move(sites)},
                {"rates",
                 {{"interval_s", rates.interval_s},
                  {"accepted", series(rates.accepted)},
                  {"delivered", series(rates.delivered)},
                  {"deferred", series(rates.deferred)},
                  {"failed", series(rates.failed)}}},
                {"recent_deferrals", deferrals(lst, 50)},
                {"held_messages", held_messages(lst, 50)},
                {"suspensions", std::move(suspensions)}};
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ringpost::api
