// The trace header the session prepends to every message (RFC 5321 4.4),
// laid out like Postfix's so existing tooling parses it:
//
//   Received: from <helo> ([192.0.2.1])
//   	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
//   	by <hostname> (ringpost) with ESMTPS id <QID>
//   	for <rcpt>; Tue, 24 Nov 2026 10:00:00 +0000
//
// (the "using" line only over TLS),
// and the protocol names of RFC 3848 / RFC 6531 3.7.3 for its "with" clause.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::smtp {

// SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA.
std::string_view protocol_name(bool esmtp, bool smtputf8, bool tls, bool authenticated);

// RFC 5322 3.3 date-time in UTC: "Tue, 24 Nov 2026 10:00:00 +0000".
// Formatted by hand: strftime depends on the locale and the time zone.
void append_rfc5322_date(std::string& out, int64_t unix_seconds);

struct ReceivedFields {
    std::string_view helo;
    std::string_view client_ip;        // textual; IPv6 gets the "IPv6:" tag
    std::string_view hostname;
    std::string_view protocol;
    std::string_view tls_version = {}; // empty: not encrypted, no "(using ...)" line
    std::string_view tls_cipher = {};
    int tls_cipher_bits = 0;
    std::string_view queue_id;
    std::string_view for_recipient;    // empty unless exactly one recipient
    int64_t time = 0;
};

void append_received(std::string& out, const ReceivedFields& f);

}  // namespace ringpost::smtp
