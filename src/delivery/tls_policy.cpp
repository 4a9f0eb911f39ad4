// Outbound TLS policy decisions (see tls_policy.hpp).
#include "delivery/tls_policy.hpp"

#include "util/ascii.hpp"

namespace ringpost::delivery {
namespace {

using util::ascii_lower;

std::string required_prefix(TlsPolicy policy) {
    return "TLS is required (policy " + std::string(tls_policy_name(policy)) + ") but ";
}

}  // namespace

std::optional<TlsPolicy> parse_tls_policy(std::string_view text) {
    const std::string t = ascii_lower(text);
    if (t == "none") return TlsPolicy::kNone;
    if (t == "may") return TlsPolicy::kMay;
    if (t == "encrypt") return TlsPolicy::kEncrypt;
    if (t == "verify") return TlsPolicy::kVerify;
    return std::nullopt;
}

std::string_view tls_policy_name(TlsPolicy policy) {
    switch (policy) {
        case TlsPolicy::kNone: return "none";
        case TlsPolicy::kMay: return "may";
        case TlsPolicy::kEncrypt: return "encrypt";
        case TlsPolicy::kVerify: return "verify";
    }
    return "may";
}

TlsPolicy TlsPolicyMap::lookup(std::string_view domain) const {
    auto it = domains.find(ascii_lower(domain));
    return it == domains.end() ? default_policy : it->second;
}

StartTlsDecision decide_starttls(TlsPolicy policy, bool offered) {
    switch (policy) {
        case TlsPolicy::kNone: return StartTlsDecision::kPlain;
        case TlsPolicy::kMay: return offered ? StartTlsDecision::kStartTls : StartTlsDecision::kPlain;
        case TlsPolicy::kEncrypt:
        case TlsPolicy::kVerify: return offered ? StartTlsDecision::kStartTls : StartTlsDecision::kDefer;
    }
    return StartTlsDecision::kPlain;
}

bool retry_plain_after_handshake_failure(TlsPolicy policy) { return policy == TlsPolicy::kMay; }

std::string tls_not_offered_text(TlsPolicy policy, std::string_view host) {
    return required_prefix(policy) + std::string(host) + " did not offer STARTTLS";
}

std::string tls_refused_text(TlsPolicy policy, std::string_view host, std::string_view reply) {
    return required_prefix(policy) + std::string(host) + " refused STARTTLS: " + std::string(reply);
}

std::string tls_handshake_failed_text(TlsPolicy policy, std::string_view host, std::string_view error) {
    std::string s = requires_tls(policy) ? required_prefix(policy) + "the " : std::string();
    s += "TLS handshake with " + std::string(host) + " failed";
    if (!error.empty()) s += ": " + std::string(error);
    return s;
}

bool connection_satisfies(TlsPolicy policy, const TlsState& conn, std::string_view host) {
    switch (policy) {
        case TlsPolicy::kNone:
        case TlsPolicy::kMay: return true;
        case TlsPolicy::kEncrypt: return conn.active;
        case TlsPolicy::kVerify: return conn.active && conn.verified && ascii_lower(conn.peer_host) == ascii_lower(host);
    }
    return false;
}

std::string tls_note(const TlsState& tls) {
    if (!tls.active) return " [tls=none]";
    return " [tls=" + tls.version + " cipher=" + tls.cipher + " bits=" + std::to_string(tls.bits) +
           " verified=" + (tls.verified ? "yes" : "no") + "]";
}

std::string_view strip_tls_note(std::string_view reply) {
    if (reply.empty() || reply.back() != ']') return reply;
    size_t at = reply.rfind(" [tls=");
    return at == std::string_view::npos ? reply : reply.substr(0, at);
}

}  // namespace ringpost::delivery
