// The ESMTP parameters of MAIL FROM and RCPT TO that a stored envelope
// carries -- BODY (RFC 6152, 3030), SMTPUTF8 (RFC 6531), RET, ENVID, NOTIFY
// and ORCPT (RFC 3461) -- written as a client sends them. The delivery
// client sends them to the next hop; the milter client replays them to a
// content filter, as Postfix's smtpd passes the client's own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"

namespace ringpost::mail {

// RFC 3461 4 xtext for ENVID and ORCPT values: "+XX" for '+', '=' and
// bytes outside 33-126.
std::string xtext_encode(std::string_view s);

// "BODY=8BITMIME" / "BODY=BINARYMIME" (nothing for 7bit), then "SMTPUTF8".
std::vector<std::string> body_parameters(BodyType body_type, bool smtputf8);

// "RET=FULL" / "RET=HDRS" when set, "ENVID=<xtext>" when not empty.
std::vector<std::string> dsn_mail_parameters(DsnRet ret, std::string_view envid);

// "NOTIFY=NEVER" or "NOTIFY=SUCCESS,FAILURE,DELAY" (the flags set), then
// "ORCPT=type;<xtext>" from an ORCPT stored decoded as "type;address"
// ("rfc822" when the type is missing).
std::vector<std::string> dsn_rcpt_parameters(uint8_t notify, std::string_view orcpt);

}  // namespace ringpost::mail
