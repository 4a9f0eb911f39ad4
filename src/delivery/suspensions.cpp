#include "delivery/suspensions.hpp"

#include <ctime>

#include "util/log.hpp"

namespace ringpost::delivery {
namespace {

std::string utc(int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

std::string suspension_marker(std::string_view target) { return "delivery suspended (" + std::string(target) + ")"; }

Diagnostic Held::diagnostic() const {
    Diagnostic d;
    d.outcome = Outcome::kDeferred;
    d.enhanced = "4.7.0";
    d.text = suspension_marker(target) + (until != 0 ? " until " + utc(until) : std::string(" until resumed")) +
             (reason.empty() ? "" : ": " + reason);
    return d;
}

void Suspensions::set(const std::string& target, int64_t until, std::string reason) {
    entries_[target] = Entry{until, std::move(reason)};
}

std::vector<Held> Suspensions::in_force(int64_t now) const {
    std::vector<Held> out;
    for (const auto& [target, e] : entries_)
        if (e.until == 0 || e.until > now) out.push_back(Held{target, e.until, e.reason});
    return out;
}

bool Suspensions::clear(const std::string& target) { return entries_.erase(target) > 0; }

std::optional<Held> Suspensions::find(std::string_view target, int64_t now) {
    auto it = entries_.find(target);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.until != 0 && it->second.until <= now) {
        log::info("resumed", {{"target", it->first}, {"reason", "the suspension ended"}});
        entries_.erase(it);
        return std::nullopt;
    }
    return Held{it->first, it->second.until, it->second.reason};
}

std::optional<Held> Suspensions::holding(std::string_view domain, std::string_view site, int64_t now) {
    if (entries_.empty()) return std::nullopt;
    if (auto h = find(domain, now)) return h;
    if (!site.empty()) return find(site, now);
    return std::nullopt;
}

}  // namespace ringpost::delivery
