// Fuzz target: the message parsers of src/mail on a stored message -- MIME
// structure (RFC 2045/2046/2231), RFC 5322 header fields and addresses, the
// IMAP ENVELOPE and BODYSTRUCTURE built from them, the stored summary codec,
// SEARCH's decoded text (RFC 2047 words, transfer encodings, charsets) and
// the 8-bit downgrade for relaying. Checks: every part's ranges lie inside
// the message, the summary round-trips through its stored form, SEARCH text
// is valid UTF-8, a downgraded message is 7-bit. The input is also decoded
// as a stored summary record (the store must survive a damaged one).
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "mail/eight_bit_downgrade.hpp"
#include "mail/mime.hpp"
#include "mail/search_text.hpp"
#include "util/utf8.hpp"

using namespace ringpost::mail;

namespace {

bool is_valid_utf8(const std::string& s) { return ringpost::utf8::sanitize(s) == s; }

void check_parts(std::string_view message, const MimePart& part, std::vector<uint32_t>& path, size_t depth) {
    FUZZ_CHECK(depth <= kMaxMimeDepth + 1);
    FUZZ_CHECK(static_cast<size_t>(part.header_offset) + part.header_size <= message.size());
    FUZZ_CHECK(static_cast<size_t>(part.body_offset) + part.body_size <= message.size());
    for (uint32_t i = 0; i < part.parts.size(); ++i) {
        path.push_back(i + 1);
        check_parts(message, part.parts[i], path, depth + 1);
        path.pop_back();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringpost::fuzz::FuzzInput in(data, size);
    std::string_view message = in.bytes();

    MessageSummary s = summarize_message(message);
    std::vector<uint32_t> path;
    check_parts(message, s.root, path, 0);
    FUZZ_CHECK(!s.envelope.empty() && s.envelope.front() == '(' && s.envelope.back() == ')');
    FUZZ_CHECK(!s.bodystructure.empty() && s.bodystructure.front() == '(' && s.bodystructure.back() == ')');
    FUZZ_CHECK(!s.body.empty() && s.body.front() == '(' && s.body.back() == ')');

    auto decoded = decode_summary(encode_summary(s));
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(decoded.value().envelope == s.envelope);
    FUZZ_CHECK(decoded.value().bodystructure == s.bodystructure);
    FUZZ_CHECK(decoded.value().body == s.body);
    FUZZ_CHECK(encode_summary(decoded.value()) == encode_summary(s));

    // Sections a client may ask for (BODY[1.2], BODY[2.HEADER]).
    const std::vector<uint32_t> sections[] = {{}, {1}, {2}, {1, 1}, {1, 2}, {2, 1, 1}};
    for (const auto& section : sections) {
        if (const MimePart* p = find_part(s.root, section)) {
            FUZZ_CHECK(static_cast<size_t>(p->body_offset) + p->body_size <= message.size());
        }
    }

    std::string_view header = message.substr(0, s.root.header_size);
    (void)header_fields(header, {"subject", "from", "received"}, in.option(0));
    FUZZ_CHECK(is_valid_utf8(header_search_text(header)));
    FUZZ_CHECK(is_valid_utf8(address_search_text(header, "to")));
    FUZZ_CHECK(is_valid_utf8(field_search_text(header, "subject")));
    std::string body = body_search_text(message, s.root, 64 * 1024);
    FUZZ_CHECK(is_valid_utf8(body));
    FUZZ_CHECK(body.size() <= 64 * 1024);

    EightBitDowngrade d = downgrade_8bit(message, in.option(1));
    // With UTF-8 headers allowed (SMTPUTF8) only the bodies must become 7-bit.
    if (d.status == EightBitDowngrade::Status::kConverted && !in.option(1)) FUZZ_CHECK(!has_8bit(d.message));
    if (d.status == EightBitDowngrade::Status::kRefused) FUZZ_CHECK(!d.reason.empty());

    // The same bytes as a damaged stored summary: rejected or decoded, never a crash.
    (void)decode_summary(message);
    return 0;
}
