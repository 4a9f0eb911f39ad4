// Admin socket framing: binary-safe round trips, and rejection of truncated,
// oversized or foreign input (the server decodes bytes from any local client).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/protocol.hpp"

namespace ringpost::admin::wire {
namespace {

using ::testing::HasSubstr;

TEST(AdminProtocol, RequestRoundTripIsBinarySafe) {
    std::vector<std::string> args = {"mailbox", "show", std::string("a\0b\r\n", 5), ""};
    std::string in("pw\0\xff\n", 5);
    auto enc = encode_request(args, in);
    ASSERT_TRUE(enc.ok());
    auto dec = decode_request(*enc);
    ASSERT_TRUE(dec.ok()) << dec.error().message;
    EXPECT_EQ(dec->args, args);
    EXPECT_EQ(dec->stdin_data, in);
}

TEST(AdminProtocol, RequestRejectsBadInput) {
    auto enc = encode_request({"queue", "list"}, "");
    ASSERT_TRUE(enc.ok());
    for (size_t cut = 0; cut < enc->size(); ++cut)
        EXPECT_FALSE(decode_request(std::string_view(*enc).substr(0, cut)).ok()) << cut;
    EXPECT_FALSE(decode_request(*enc + "x").ok());   // trailing garbage
    std::string other = *enc;
    other[7] = '2';                                   // a different protocol version
    EXPECT_THAT(decode_request(other).error().message, HasSubstr("bad magic"));

    // A huge declared length must be refused before anything is allocated.
    std::string huge(kMagic);
    huge += std::string("\0\0\0\1\x7f\xff\xff\xff", 8);
    EXPECT_THAT(decode_request(huge).error().message, HasSubstr("too long"));

    EXPECT_FALSE(encode_request({}, "").ok());
    EXPECT_FALSE(encode_request(std::vector<std::string>(kMaxArgs + 1, "x"), "").ok());
    EXPECT_FALSE(encode_request({std::string(kMaxArgBytes + 1, 'a')}, "").ok());
    EXPECT_FALSE(encode_request({"user"}, std::string(kMaxStdinBytes + 1, 'p')).ok());
}

std::string u32(uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// `queue list` with `in` on standard input, as every client framed it
// before the optional fields existed.
std::string legacy_request(const std::string& in) {
    return std::string(kMagic) + u32(2) + u32(5) + "queue" + u32(4) + "list" + u32(in.size()) + in;
}

TEST(AdminProtocol, OutputFormatTravelsAsAnOptionalField) {
    auto text = encode_request({"queue", "list"}, "");
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, legacy_request("")) << "a text request is byte for byte what older servers accept";
    auto dec = decode_request(*text);
    ASSERT_TRUE(dec.ok()) << dec.error().message;
    EXPECT_EQ(dec->format, OutputFormat::kText);

    auto json = encode_request({"queue", "list"}, "in", OutputFormat::kJson);
    ASSERT_TRUE(json.ok());
    EXPECT_EQ(*json, legacy_request("in") + "F" + u32(4) + "json");
    dec = decode_request(*json);
    ASSERT_TRUE(dec.ok()) << dec.error().message;
    EXPECT_EQ(dec->format, OutputFormat::kJson);
    EXPECT_EQ(dec->args, (std::vector<std::string>{"queue", "list"}));
    EXPECT_EQ(dec->stdin_data, "in");
    for (size_t cut = legacy_request("in").size() + 1; cut < json->size(); ++cut)
        EXPECT_FALSE(decode_request(std::string_view(*json).substr(0, cut)).ok()) << cut;

    dec = decode_request(legacy_request("") + "F" + u32(4) + "text");
    ASSERT_TRUE(dec.ok()) << dec.error().message;
    EXPECT_EQ(dec->format, OutputFormat::kText);
}

TEST(AdminProtocol, OptionalFieldsAreChecked) {
    const std::string base = legacy_request("");
    EXPECT_THAT(decode_request(base + "Z" + u32(1) + "x").error().message, HasSubstr("unknown field"));
    EXPECT_THAT(decode_request(base + "F" + u32(4) + "yaml").error().message, HasSubstr("unknown output format"));
    EXPECT_THAT(decode_request(base + "F" + u32(4) + "json" + "F" + u32(4) + "json").error().message,
                HasSubstr("twice"));
    EXPECT_THAT(decode_request(base + "F" + u32(0x7fffffff)).error().message, HasSubstr("too long"))
        << "refused before anything is allocated";
    EXPECT_THAT(decode_request(base + "F" + u32(kMaxFieldBytes + 1) + std::string(kMaxFieldBytes + 1, 'j'))
                    .error().message,
                HasSubstr("too long"));
}

TEST(AdminProtocol, ResponseRoundTripKeepsBytesAndExitCode) {
    std::string out;
    for (int i = 0; i < 200000; ++i) out += static_cast<char>(i * 7);   // > several frames, all byte values
    std::string err = "ringpost: something\n";
    std::string enc = encode_response(out, err, 1);
    std::string got_out, got_err;
    auto code = decode_response(enc, got_out, got_err);
    ASSERT_TRUE(code.ok()) << code.error().message;
    EXPECT_EQ(*code, 1);
    EXPECT_EQ(got_out, out);
    EXPECT_EQ(got_err, err);

    std::string o2, e2;
    auto empty = decode_response(encode_response("", "", 0), o2, e2);
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(*empty, 0);
    EXPECT_TRUE(o2.empty());
    EXPECT_TRUE(e2.empty());
}

TEST(AdminProtocol, TruncatedResponseIsAnError) {
    std::string enc = encode_response("hello", "", 0);
    for (size_t cut = 0; cut < enc.size(); ++cut) {
        std::string o, e;
        EXPECT_FALSE(decode_response(std::string_view(enc).substr(0, cut), o, e).ok()) << cut;
    }
    std::string o, e;
    EXPECT_FALSE(decode_response("Z\0\0\0\0", o, e).ok());
}

}  // namespace
}  // namespace ringpost::admin::wire
