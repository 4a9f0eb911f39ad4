#include "api/injection_api.hpp"

#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "util/log.hpp"

namespace ringpost::api {

namespace {

using nlohmann::json;

json reply_fields(const Refusal& r) {
    return {{"code", r.code}, {"enhanced_code", r.enhanced}, {"reply", r.text}};
}

// Why nothing was accepted, as an HTTP status: the first message's reply
// decides (they share the request's fate in practice: the same store, the
// same limits).
int failure_status(const Refusal& r) {
    if (r.code == 552) return 413;                 // 5.3.4 message too big
    if (r.code >= 400 && r.code < 500) return 503;  // store full, shutting down, a write error
    return 422;                                     // refused for good
}

std::string dump(const json& doc) { return doc.dump(-1, ' ', false, json::error_handler_t::replace); }

// Printable ASCII without a quote or a backslash: written as it is by
// nlohmann and by hand alike.
bool plain(std::string_view s) {
    for (const unsigned char c : s)
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    return true;
}

// The answer when every message was accepted with all its recipients (the
// common case), written directly: the same bytes as dump() of the same
// document (keys sorted as nlohmann's object sorts them, no spaces), without
// building one. Nothing when that is not the case or a string would need
// escaping.
std::optional<std::string> all_accepted_body(const std::vector<InjectionResult>& results) {
    size_t size = 96, success = 0;
    for (const InjectionResult& r : results) {
        if (r.queue_id.empty() || !r.refused.empty() || !plain(r.queue_id)) return std::nullopt;
        size += r.queue_id.size() + 32;
        for (const std::string& a : r.accepted) {
            if (!plain(a)) return std::nullopt;
            size += a.size() + 3;
        }
        success += r.accepted.size();
    }
    std::string out;
    out.reserve(size);
    out += "{\"fail_count\":0,\"failed_messages\":[],\"failed_recipients\":[],\"messages\":[";
    for (size_t i = 0; i < results.size(); ++i) {
        if (i) out += ',';
        out += "{\"queue_id\":\"";
        out += results[i].queue_id;
        out += "\",\"recipients\":[";
        for (size_t k = 0; k < results[i].accepted.size(); ++k) {
            out += k ? ",\"" : "\"";
            out += results[i].accepted[k];
            out += '"';
        }
        out += "]}";
    }
    out += "],\"success_count\":";
    out += std::to_string(success);
    out += '}';
    return out;
}

}  // namespace

void CallerRates::prune(Clock::time_point now, double per_second) {
    if (now < next_prune_) return;
    next_prune_ = now + std::min<Clock::duration>(rate_.period, kPruneEvery);
    const double capacity = static_cast<double>(rate_.count);
    std::erase_if(buckets_, [&](const auto& kv) {
        const Bucket& b = kv.second;
        return b.tokens + std::chrono::duration<double>(now - b.last).count() * per_second >= capacity;
    });
}

size_t CallerRates::callers() {
    std::lock_guard lock(mu_);
    return buckets_.size();
}

int64_t CallerRates::take(const std::string& caller, size_t messages, Clock::time_point now) {
    if (rate_.unlimited()) return 0;
    const double capacity = static_cast<double>(rate_.count);
    if (static_cast<double>(messages) > capacity) return -1;
    const double per_second = capacity / std::chrono::duration<double>(rate_.period).count();
    std::lock_guard lock(mu_);
    prune(now, per_second);
    auto [it, fresh] = buckets_.try_emplace(caller);
    Bucket& b = it->second;
    if (fresh) b = {capacity, now};
    b.tokens = std::min(capacity, b.tokens + std::chrono::duration<double>(now - b.last).count() * per_second);
    b.last = now;
    if (b.tokens >= static_cast<double>(messages)) {
        b.tokens -= static_cast<double>(messages);
        return 0;
    }
    const double missing = static_cast<double>(messages) - b.tokens;
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(missing / per_second)));
}

http::Response injection_response(const std::vector<std::vector<std::string>>& recipients,
                                  const std::vector<InjectionResult>& results) {
    if (auto body = all_accepted_body(results)) return http::Response::json(200, std::move(*body));
    json accepted = json::array(), failed_rcpts = json::array(), failed_msgs = json::array();
    size_t success = 0, failures = 0;
    const Refusal* first_failure = nullptr;
    for (size_t i = 0; i < results.size(); ++i) {
        const InjectionResult& r = results[i];
        for (const RecipientRefusal& f : r.refused) {
            json entry = reply_fields(f.reply);
            entry["recipient"] = f.address;
            failed_rcpts.push_back(std::move(entry));
            ++failures;
        }
        if (!r.queue_id.empty()) {
            accepted.push_back({{"queue_id", r.queue_id}, {"recipients", r.accepted}});
            success += r.accepted.size();
            continue;
        }
        // Refused as a whole: its recipients that no RCPT refused fail with it.
        json entry = reply_fields(r.refusal);
        json rcpts = json::array();
        for (const std::string& a : recipients[i]) {
            bool listed = false;
            for (const RecipientRefusal& f : r.refused) listed = listed || f.address == a;
            if (!listed) {
                rcpts.push_back(a);
                ++failures;
            }
        }
        entry["recipients"] = std::move(rcpts);
        failed_msgs.push_back(std::move(entry));
        if (!first_failure) first_failure = &r.refusal;
    }
    json doc = {{"success_count", success},   {"fail_count", failures},       {"messages", std::move(accepted)},
                {"failed_recipients", failed_rcpts}, {"failed_messages", failed_msgs}};
    if (success != 0 || !first_failure) return http::Response::json(200, dump(doc));
    const int status = failure_status(*first_failure);
    doc["error"] = first_failure->enhanced.empty() ? first_failure->text : first_failure->enhanced + " " + first_failure->text;
    http::Response resp = http::Response::json(status, dump(doc));
    if (status == 503) resp.headers.add("Retry-After", "60");
    return resp;
}

io::Task<http::Response> InjectionApi::inject(const http::Request& request, const http::Caller& caller) {
    auto parsed = parse_injection(request.body, limits_, (++boundary_seed_) << 20);
    if (!parsed) co_return http::Response::error(400, parsed.error().message);
    if (rates_ && !rates_->unlimited()) {
        const std::string who = caller.token.empty() ? caller.ip : "token:" + caller.token;
        const int64_t wait = rates_->take(who, parsed->size(), CallerRates::Clock::now());
        if (wait != 0) {
            http::Response r = http::Response::error(
                429, wait < 0 ? "more messages in one request than [http] max_message_rate allows in its period"
                              : "over [http] max_message_rate: try again in " + std::to_string(wait) + " s");
            if (wait > 0) r.headers.add("Retry-After", std::to_string(wait));
            co_return r;
        }
    }
    InjectionCaller who{caller.ip, caller.token, caller.trusted, caller.tls};
    std::vector<std::vector<std::string>> recipients;
    for (const InjectionMessage& m : *parsed) recipients.push_back(m.recipients);
    auto injecting = injector_.inject(std::move(*parsed), std::move(who));
    std::vector<InjectionResult> results = co_await std::move(injecting);
    co_return injection_response(recipients, results);
}

}  // namespace ringpost::api
