// Outbound TLS policy per destination domain, and the decisions that follow
// from it (issue 5), as pure functions so that every rule is unit-tested
// without sockets:
//
//   none     never STARTTLS;
//   may      STARTTLS when offered (the default); a refused STARTTLS goes on
//            in plain text, and a failed handshake is retried on the same
//            host in plain text (Postfix's smtp_tls_security_level = may);
//   encrypt  TLS required, the certificate is not checked;
//   verify   TLS required with a certificate chain trusted by the system
//            store (or [delivery.tls] ca_file) and valid for the MX host name.
//
// A policy that TLS cannot satisfy defers the message (4.7.4 not offered or
// refused, 4.7.5 handshake or verification failed); it bounces at expiry
// like any deferral. A connection may carry another domain's mail
// (connection sharing) only if it satisfies that domain's policy.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ringpost::delivery {

enum class TlsPolicy : uint8_t { kNone, kMay, kEncrypt, kVerify };

// "none", "may", "encrypt", "verify" (case-insensitive); nullopt otherwise.
std::optional<TlsPolicy> parse_tls_policy(std::string_view text);
std::string_view tls_policy_name(TlsPolicy policy);
inline bool requires_tls(TlsPolicy p) { return p == TlsPolicy::kEncrypt || p == TlsPolicy::kVerify; }

struct TlsPolicyMap {
    TlsPolicy default_policy = TlsPolicy::kMay;
    std::map<std::string, TlsPolicy, std::less<>> domains;   // lower-cased domain -> policy
    // The domain's own entry (case-insensitive, exact name), else the default.
    TlsPolicy lookup(std::string_view domain) const;
};

// What the client does once EHLO has told whether STARTTLS is offered.
enum class StartTlsDecision : uint8_t {
    kPlain,      // go on without TLS
    kStartTls,   // send STARTTLS
    kDefer,      // TLS is required and not offered: defer, QUIT
};
StartTlsDecision decide_starttls(TlsPolicy policy, bool offered);

// After the TLS handshake failed: connect to the same host again and
// deliver in plain text (only "may"; a required TLS defers instead).
bool retry_plain_after_handshake_failure(TlsPolicy policy);

// Deferral texts (the session puts them into a 4.7.4 / 4.7.5 Diagnostic):
// "TLS is required (policy encrypt) but mx.example.org did not offer STARTTLS"
std::string tls_not_offered_text(TlsPolicy policy, std::string_view host);
// "TLS is required (policy verify) but mx.example.org refused STARTTLS: 454 4.7.0 not now"
std::string tls_refused_text(TlsPolicy policy, std::string_view host, std::string_view reply);
// "TLS is required (policy verify) but the TLS handshake with mx.example.org failed:
//  certificate verification failed for mx.example.org: hostname mismatch"
// (without "TLS is required ..." for may/none: "TLS handshake with mx... failed: ...").
std::string tls_handshake_failed_text(TlsPolicy policy, std::string_view host, std::string_view error);
inline constexpr std::string_view kTlsNotOfferedStatus = "4.7.4";
inline constexpr std::string_view kTlsFailedStatus = "4.7.5";

// What one outbound connection has.
struct TlsState {
    bool active = false;     // STARTTLS and the handshake succeeded
    bool verified = false;   // chain trusted and the certificate valid for peer_host
    std::string version;     // "TLSv1.3"
    std::string cipher;      // "TLS_AES_256_GCM_SHA384"
    int bits = 0;
    std::string peer_host;   // the name the certificate was checked against (the MX host)
};

// Whether a connection may carry mail of a domain with `policy` whose name
// for that server is `host` (verify: the certificate must have been verified
// for that very name).
bool connection_satisfies(TlsPolicy policy, const TlsState& conn, std::string_view host);

// For the queue's last_reply: " [tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verified=yes]"
// or " [tls=none]", appended to the reply; strip_tls_note() takes it off
// again (DSNs quote the server's reply, not our note).
std::string tls_note(const TlsState& tls);
std::string_view strip_tls_note(std::string_view reply);

}  // namespace ringpost::delivery
