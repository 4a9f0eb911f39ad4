#include "delivery/targets.hpp"

#include <cctype>

#include "delivery/client_error.hpp"
#include "delivery/engine.hpp"
#include "dns/resolver.hpp"
#include "util/ascii.hpp"

namespace ringpost::delivery {
namespace {

using util::iequals;

bool is_enhanced(std::string_view s) {
    // d.ddd.ddd with a class of 2, 4 or 5
    if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
    size_t dots = 0;
    for (size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '.') ++dots;
        else if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return dots == 2 && s.back() != '.';
}

Diagnostic dns_failure(const Error& e) {
    bool permanent = dns::status_of(e) == dns::DnsStatus::kPermanent;
    bool null_mx = e.message.find("null MX") != std::string::npos;
    Diagnostic d;
    d.outcome = permanent ? Outcome::kFailed : Outcome::kDeferred;
    // RFC 7505 3: 5.1.10 for a null MX; 5.1.2 "bad destination system
    // address" for a domain that does not exist; 4.4.3 for resolver trouble.
    d.enhanced = null_mx ? "5.1.10" : permanent ? "5.1.2" : "4.4.3";
    d.text = e.message;
    return d;
}

}  // namespace

Diagnostic diagnostic_from_error(const Error& error, Outcome outcome, std::string_view default_enhanced) {
    Diagnostic d;
    d.outcome = outcome;
    std::string_view rest = error.message;
    if (int reply = reply_code_of(error); reply >= 200 && reply < 600) {
        d.code = static_cast<uint16_t>(reply);
        std::string prefix = std::to_string(reply);
        if (rest.substr(0, prefix.size()) == prefix) {
            rest.remove_prefix(prefix.size());
            while (!rest.empty() && (rest.front() == ' ' || rest.front() == '-')) rest.remove_prefix(1);
        }
    }
    size_t sp = rest.find(' ');
    std::string_view first = rest.substr(0, sp);
    if (is_enhanced(first)) {
        d.enhanced = std::string(first);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    } else {
        d.enhanced = std::string(default_enhanced);
    }
    d.text = std::string(rest);
    return d;
}

io::Task<Targets> resolve_targets(dns::Resolver& resolver, std::string domain, const EngineConfig& config) {
    Targets out;
    if (auto route = config.routes.find(domain); route != config.routes.end()) {
        const uint16_t port = route->second.port ? route->second.port : config.remote_port;
        auto lookup = resolver.resolve_host(route->second.host);
        auto addresses = co_await std::move(lookup);
        if (!addresses) {
            out.failure = dns_failure(addresses.error());
            co_return out;
        }
        for (const auto& a : *addresses) out.list.push_back(Target{route->second.host, a.ip, port});
        co_return out;
    }

    auto lookup = resolver.resolve_mx(domain);
    auto mx = co_await std::move(lookup);
    if (!mx) {
        out.failure = dns_failure(mx.error());
        co_return out;
    }
    // Our own preference, if we are one of the MX hosts.
    int own = -1;
    for (const auto& h : mx->hosts)
        if (iequals(h.name, config.hostname) && (own < 0 || h.preference < own)) own = h.preference;
    std::string last_error;
    bool any_temporary = false;
    for (const auto& h : mx->hosts) {
        if (own >= 0 && h.preference >= own) continue;
        if (h.addresses.empty()) {
            last_error = h.error;
            any_temporary = any_temporary || h.status == dns::DnsStatus::kTemporary;
        }
        for (const auto& a : h.addresses) out.list.push_back(Target{h.name, a.ip, config.remote_port});
    }
    if (!out.list.empty()) co_return out;
    Diagnostic d;
    if (own >= 0) {
        d.outcome = Outcome::kFailed;
        d.enhanced = "5.4.6";
        d.text = "mail for " + domain + " loops back to myself";
    } else {
        d.outcome = any_temporary ? Outcome::kDeferred : Outcome::kFailed;
        d.enhanced = any_temporary ? "4.4.3" : "5.1.2";
        d.text = last_error.empty() ? "no usable address for the MX hosts of " + domain : last_error;
    }
    out.failure = std::move(d);
    co_return out;
}

}  // namespace ringpost::delivery
