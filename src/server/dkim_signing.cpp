#include "server/dkim_signing.hpp"

#include <algorithm>

#include "mail/from_fields.hpp"
#include "util/ascii.hpp"

namespace ringpost::server {
namespace {

dkim::Canon canon_of(std::string_view name) { return name == "simple" ? dkim::Canon::kSimple : dkim::Canon::kRelaxed; }

dkim::SignatureSpec spec_for(const config::DkimConfig& config, const std::string& domain, const std::string& selector,
                             const dkim::SigningKey& key) {
    dkim::SignatureSpec spec;
    spec.domain = domain;
    spec.selector = selector;
    spec.key = &key;
    const std::string_view canon = config.canonicalization;
    const size_t slash = canon.find('/');
    spec.header_canon = canon_of(canon.substr(0, slash));
    spec.body_canon = canon_of(slash == std::string_view::npos ? canon : canon.substr(slash + 1));
    if (!config.headers.empty()) spec.headers = config.headers;
    spec.expire_after = config.expire_after;
    return spec;
}

// Is `domain` the configured one or below it ("a.b.example.com" under "example.com")?
bool within(std::string_view domain, std::string_view configured) {
    if (domain == configured) return true;
    return domain.size() > configured.size() && domain.ends_with(configured) &&
           domain[domain.size() - configured.size() - 1] == '.';
}

}  // namespace

std::string from_domain(std::string_view message) {
    for (const auto& a : mail::read_from_fields(message).mailboxes)
        if (!a.host.empty()) return util::ascii_lower(a.host);
    return {};
}

std::unique_ptr<DkimSigning> DkimSigning::load(const config::DkimConfig& config) {
    if (config.domains.empty()) return nullptr;
    std::vector<DomainKeys> keys;
    for (const auto& [domain, selectors] : config.domains) {
        DomainKeys d{domain, {}};
        for (const auto& selector : selectors) {
            const std::string path = config.key_dir + "/" + domain + "/" + selector + ".pem";
            auto key = dkim::SigningKey::load(path);
            if (!key)
                throw config::ConfigError("dkim.domains." + domain + ": key of selector " + selector + ": " +
                                          key.error().message + " (create it with `ringpost dkim keygen " + domain +
                                          " " + selector + "`)");
            d.selectors.emplace_back(selector, std::move(key).value());
        }
        keys.push_back(std::move(d));
    }
    return std::make_unique<DkimSigning>(config, std::move(keys));
}

DkimSigning::DkimSigning(const config::DkimConfig& config, std::vector<DomainKeys> keys)
    : config_(config), keys_(std::move(keys)) {
    for (const auto& d : keys_) {
        auto& specs = specs_.emplace_back();
        for (const auto& [selector, key] : d.selectors) specs.push_back(spec_for(config_, d.domain, selector, key));
    }
}

size_t DkimSigning::key_count() const {
    size_t n = 0;
    for (const auto& d : keys_) n += d.selectors.size();
    return n;
}

bool DkimSigning::trusted(const smtp::MessageOrigin& origin) const {
    if (config_.sign == "submission") return origin.submission && origin.authenticated;
    if (config_.sign == "authenticated") return origin.authenticated;
    return origin.authenticated || origin.relay_allowed;
}

const DkimSigning::DomainKeys* DkimSigning::keys_of(std::string_view domain) const {
    for (const auto& d : keys_)
        if (d.domain == domain) return &d;
    return nullptr;
}

std::string DkimSigning::signing_domain(const smtp::AcceptedMessage& message) const {
    if (!trusted(message.origin)) return {};
    if (message.origin.authenticated) {
        for (const auto& [login, domain] : config_.users)
            if (login == message.origin.auth_user) return domain;
    }
    const std::string from = from_domain(message.data);
    if (from.empty()) return {};
    // The closest configured domain: "mail.example.com" before "example.com".
    const DomainKeys* best = nullptr;
    for (const auto& d : keys_)
        if (within(from, d.domain) && (!best || d.domain.size() > best->domain.size())) best = &d;
    return best ? best->domain : std::string();
}

Result<void> DkimSigning::sign(smtp::AcceptedMessage& message, std::string_view domain, int64_t now) const {
    const DomainKeys* d = keys_of(domain);
    if (!d) return make_error("no DKIM keys for " + std::string(domain));
    const auto& specs = specs_[static_cast<size_t>(d - keys_.data())];
    auto fields = dkim::sign(message.data, specs, now);
    if (!fields) return fields.error();
    message.data.insert(0, *fields);
    message.envelope.body_size = message.data.size();
    return {};
}

}  // namespace ringpost::server
