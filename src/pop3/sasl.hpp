// SASL PLAIN (RFC 4616) for POP3 AUTH (RFC 5034): the client's response,
// base64-decoded, is "authzid NUL authcid NUL password".
#pragma once

#include <string>
#include <string_view>

namespace ringpost::pop3 {

enum class PlainStatus {
    kOk,
    kBadBase64,    // not canonical base64
    kMalformed,    // not two NULs, an empty authcid or password
    kBadAuthzid,   // asks to act as another user: we do not offer proxy authorization
};

struct PlainCredentials {
    std::string user;       // authcid
    std::string password;
};

// Decodes a base64 client response ("=" is the empty response, RFC 5034 4).
PlainStatus decode_plain(std::string_view base64_response, PlainCredentials& out);

}  // namespace ringpost::pop3
