// Fuzz target: base64 (src/util/base64.hpp) and SASL PLAIN
// (src/util/sasl_plain.hpp, src/pop3/sasl.hpp), which decode what a client
// sends in AUTH / AUTHENTICATE before it is logged in. Checks: strict
// decoding accepts only canonical base64 (what it accepts re-encodes to the
// same text), every byte string round-trips, lenient decoding (mail bodies)
// agrees with strict decoding on canonical input, and PLAIN's fields are
// the parts between the NULs.
#include <string>

#include "fuzz_input.hpp"
#include "pop3/sasl.hpp"
#include "util/base64.hpp"
#include "util/sasl_plain.hpp"

using namespace ringpost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    std::string decoded;
    if (base64::decode(text, decoded)) {
        std::string again;
        base64::encode(decoded, again);
        FUZZ_CHECK(again == text);
        FUZZ_CHECK(base64::decode_lenient(text) == decoded);
    }
    std::string encoded;
    base64::encode(text, encoded);
    FUZZ_CHECK(encoded.size() == (size + 2) / 3 * 4);
    std::string round;
    FUZZ_CHECK(base64::decode(encoded, round));
    FUZZ_CHECK(round == text);
    (void)base64::decode_lenient(text);

    if (auto parts = sasl::split_plain(text)) {
        FUZZ_CHECK(parts->authzid.size() + parts->authcid.size() + parts->password.size() + 2 == size);
        FUZZ_CHECK(parts->authzid.find('\0') == std::string_view::npos);
        FUZZ_CHECK(parts->authcid.find('\0') == std::string_view::npos);
    }

    // POP3 AUTH PLAIN: the input as the client's base64 response, and the
    // input as the decoded response (encoded here).
    pop3::PlainCredentials creds;
    (void)pop3::decode_plain(text, creds);
    pop3::PlainCredentials from_raw;
    if (pop3::decode_plain(encoded, from_raw) == pop3::PlainStatus::kOk) {
        FUZZ_CHECK(!from_raw.user.empty() && !from_raw.password.empty());
        auto parts = sasl::split_plain(text);
        FUZZ_CHECK(parts.has_value() && parts->authcid == from_raw.user);
    }
    return 0;
}
