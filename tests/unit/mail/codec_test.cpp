// The store form of a summary: round trips, and clean failure on truncated
// or garbled data (src/mail/mime_codec.cpp).
#include <gtest/gtest.h>

#include <random>

#include "mail/mime.hpp"
#include "test_util.hpp"

using namespace ringpost::mail;
using namespace ringpost::mail::test;

namespace {

MimePart leaf(std::string type, std::string subtype) {
    MimePart p;
    p.type = std::move(type);
    p.subtype = std::move(subtype);
    return p;
}

// Every field set to something distinct, so that a codec mixing two of
// them up cannot pass.
MessageSummary full_summary() {
    MessageSummary s;
    s.envelope = "(\"date\" NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    s.bodystructure = "(bodystructure)";
    s.body = "(body)";
    MimePart& root = s.root;
    root.type = "multipart";
    root.subtype = "mixed";
    root.header_offset = 0;
    root.header_size = 70000;   // a multi-byte varint
    root.body_offset = 70000;
    root.body_size = 0xFFFFFFFFu - 70000;
    root.params = {{"boundary", "xyz"}, {"", ""}};
    root.disposition = "inline";
    root.disposition_params = {{"filename", "a\0b.txt"}};
    root.language = "en, fr";
    root.location = "http://example/";
    MimePart text = leaf("text", "plain");
    text.header_offset = 1;
    text.header_size = 2;
    text.body_offset = 3;
    text.body_size = 4;
    text.body_lines = 5;
    text.id = "<id@x>";
    text.description = "desc \xC3\xBC";
    text.encoding = "quoted-printable";
    text.md5 = "md5==";
    MimePart msg = leaf("message", "rfc822");
    msg.envelope = "(envelope)";
    msg.parts.push_back(leaf("application", "octet-stream"));
    root.parts = {text, msg};
    return s;
}

void expect_same(const MimePart& a, const MimePart& b) {
    EXPECT_EQ(a.header_offset, b.header_offset);
    EXPECT_EQ(a.header_size, b.header_size);
    EXPECT_EQ(a.body_offset, b.body_offset);
    EXPECT_EQ(a.body_size, b.body_size);
    EXPECT_EQ(a.body_lines, b.body_lines);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.subtype, b.subtype);
    EXPECT_EQ(a.params, b.params);
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.description, b.description);
    EXPECT_EQ(a.encoding, b.encoding);
    EXPECT_EQ(a.md5, b.md5);
    EXPECT_EQ(a.disposition, b.disposition);
    EXPECT_EQ(a.disposition_params, b.disposition_params);
    EXPECT_EQ(a.language, b.language);
    EXPECT_EQ(a.location, b.location);
    EXPECT_EQ(a.envelope, b.envelope);
    ASSERT_EQ(a.parts.size(), b.parts.size());
    for (size_t i = 0; i < a.parts.size(); ++i) expect_same(a.parts[i], b.parts[i]);
}

}  // namespace

TEST(SummaryCodec, RoundTripKeepsEveryField) {
    MessageSummary s = full_summary();
    std::string data = encode_summary(s);
    EXPECT_EQ(static_cast<uint8_t>(data[0]), 2u);   // the version byte
    auto d = decode_summary(data);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->envelope, s.envelope);
    EXPECT_EQ(d->bodystructure, s.bodystructure);
    EXPECT_EQ(d->body, s.body);
    expect_same(d->root, s.root);
}

TEST(SummaryCodec, RoundTripOfAParsedMessage) {
    std::string m = read_corpus("forwarded.eml");
    MessageSummary s = summarize_message(m);
    auto d = decode_summary(encode_summary(s));
    ASSERT_TRUE(d.ok());
    expect_same(d->root, s.root);
    EXPECT_EQ(d->bodystructure, s.bodystructure);
}

TEST(SummaryCodec, EveryTruncationFails) {
    std::string data = encode_summary(full_summary());
    for (size_t n = 0; n < data.size(); ++n) {
        auto d = decode_summary(std::string_view(data).substr(0, n));
        EXPECT_FALSE(d.ok()) << "prefix of " << n << " bytes decoded";
    }
}

TEST(SummaryCodec, TrailingBytesAndUnknownVersionFail) {
    std::string data = encode_summary(full_summary());
    auto extra = decode_summary(data + "x");
    ASSERT_FALSE(extra.ok());
    EXPECT_NE(extra.error().message.find("trailing"), std::string::npos);
    data[0] = 3;
    auto version = decode_summary(data);
    ASSERT_FALSE(version.ok());
    EXPECT_NE(version.error().message.find("version"), std::string::npos);
    EXPECT_FALSE(decode_summary("").ok());
}

// Version 1 summaries were stored with message/global in the IMAP4rev2
// form; their BODY and BODYSTRUCTURE are rendered again from the tree.
TEST(SummaryCodec, VersionOneBodyStringsAreRenderedAgain) {
    MessageSummary s = summarize_message(crlf("Content-Type: message/global\n\nSubject: s\n\nx"));
    const std::string current = s.bodystructure, current_body = s.body;
    s.bodystructure = "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 16 (old envelope form))";
    s.body = "(old body)";
    std::string v1 = encode_summary(s);
    v1[0] = 1;
    auto decoded = decode_summary(v1);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->bodystructure, current);
    EXPECT_EQ(decoded->body, current_body);
    EXPECT_EQ(decoded->envelope, s.envelope);
    // The current version is taken as stored.
    auto stored = decode_summary(encode_summary(s));
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->body, "(old body)");
}

TEST(SummaryCodec, HugeCountsAndLengthsAreRefusedBeforeAllocating) {
    // version, three empty strings, five zero numbers, ten empty strings,
    // then a parameter count of 2^32-1.
    std::string data("\x01\x00\x00\x00", 4);
    data += std::string(15, '\0');
    data += "\xFF\xFF\xFF\xFF\x0F";
    EXPECT_FALSE(decode_summary(data).ok());
    // A string length of 2^32-1.
    EXPECT_FALSE(decode_summary(std::string("\x01\xFF\xFF\xFF\xFF\x0F", 6)).ok());
    // A varint longer than five bytes, and one above 2^32-1.
    EXPECT_FALSE(decode_summary(std::string("\x01\x80\x80\x80\x80\x80\x00", 7)).ok());
    EXPECT_FALSE(decode_summary(std::string("\x01\xFF\xFF\xFF\xFF\x1F", 6)).ok());
}

TEST(SummaryCodec, RangesPastFourGigabytesFail) {
    MessageSummary s;
    s.root.body_offset = 0xFFFFFFF0u;
    s.root.body_size = 0x20;
    EXPECT_FALSE(decode_summary(encode_summary(s)).ok());
}

TEST(SummaryCodec, NestingBeyondTheParserLimitFails) {
    auto nested = [](uint32_t depth) {
        MessageSummary s;
        MimePart* p = &s.root;
        for (uint32_t i = 0; i < depth; ++i) {
            p->type = "multipart";
            p->parts.emplace_back();
            p = &p->parts.back();
        }
        return encode_summary(s);
    };
    EXPECT_TRUE(decode_summary(nested(kMaxMimeDepth + 1)).ok());
    EXPECT_FALSE(decode_summary(nested(1000)).ok());
}

TEST(SummaryCodec, RandomByteFlipsNeverCrash) {
    std::string data = encode_summary(full_summary());
    std::mt19937 rng(4);
    for (int i = 0; i < 3000; ++i) {
        std::string garbled = data;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) garbled[rng() % garbled.size()] = static_cast<char>(rng());
        auto d = decode_summary(garbled);   // either outcome is fine; no crash, no leak
        if (d.ok()) {
            EXPECT_LE(d->root.parts.size(), garbled.size());
        }
    }
    for (int i = 0; i < 2000; ++i) {
        std::string noise(rng() % 64, '\0');
        for (char& c : noise) c = static_cast<char>(rng());
        if (!noise.empty()) noise[0] = 1;
        (void)decode_summary(noise);
    }
}
