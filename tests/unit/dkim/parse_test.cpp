// The pure parts of DKIM verification: tag lists (RFC 6376 3.2, folding
// whitespace included), DKIM-Signature fields (3.5), key records (3.6.1,
// RFC 8463), the signature field as hashed (b= blanked) and the body hash
// limited by l=, with no DNS and no clock.
#include <gtest/gtest.h>

#include "dkim/check.hpp"
#include "dkim/key_record.hpp"
#include "dkim/signature.hpp"
#include "dkim/signer.hpp"
#include "dkim/tag_list.hpp"

namespace ringpost::dkim {
namespace {

TEST(DkimTagList, FoldingWhitespaceAroundNamesAndValues) {
    auto tags = TagList::parse(" v = 1 ;\r\n\ta=rsa-sha256;h=from :\r\n to ; b=abc\r\n def ;");
    ASSERT_TRUE(tags) << tags.error().message;
    ASSERT_EQ(tags->tags().size(), 4u);
    EXPECT_EQ(*tags->find("v"), "1");
    EXPECT_EQ(*tags->find("a"), "rsa-sha256");
    EXPECT_EQ(*tags->find("h"), "from :\r\n to");
    EXPECT_EQ(*tags->find("b"), "abc\r\n def");
    EXPECT_EQ(strip_fws(*tags->find("b")), "abcdef");
    EXPECT_EQ(tags->find("x"), nullptr);
    EXPECT_EQ(split_colon_list(*tags->find("h")), (std::vector<std::string_view>{"from", "to"}));
}

TEST(DkimTagList, EmptyValuesAndTrailingSemicolonAreAllowed) {
    auto tags = TagList::parse("p=; n=;  \r\n ");
    ASSERT_TRUE(tags) << tags.error().message;
    EXPECT_EQ(*tags->find("p"), "");
    EXPECT_EQ(*tags->find("n"), "");
}

TEST(DkimTagList, MalformedListsAreRefusedWithAReason) {
    const std::pair<const char*, const char*> cases[] = {
        {"", "empty tag list"},
        {"a=1;;b=2", "empty tag between two \";\""},
        {"a=1; b", "tag without \"=\": \"b\""},
        {"1a=x", "invalid tag name \"1a\""},
        {"a-b=x", "invalid tag name \"a-b\""},
        {"=x", "invalid tag name \"\""},
        {"a=1; a=2", "tag a= occurs twice"},
        {"a=x\x01y", "invalid character in the value of a="},
    };
    for (const auto& [text, reason] : cases) {
        auto tags = TagList::parse(text);
        ASSERT_FALSE(tags) << text;
        EXPECT_EQ(tags.error().message, reason) << text;
    }
    // Names are case-sensitive: "A" and "a" are two tags.
    EXPECT_TRUE(TagList::parse("a=1; A=2"));
}

std::string field(const std::string& tags) { return "DKIM-Signature: " + tags + "\r\n"; }

const std::string kGood =
    "v=1; a=rsa-sha256; d=Example.ORG; s=sel.2026; c=relaxed; h=From:To;\r\n\tbh=AAAA; b=BBBB\r\n\t CA==";

TEST(DkimSignatureParse, ReadsEveryTag) {
    Signature sig;
    const std::string raw = field(kGood + "; i=alice@mail.example.org; l=12; t=100; x=200; q=dns/txt; z=From:x");
    ASSERT_EQ(parse_signature(raw, sig), "");
    EXPECT_EQ(sig.domain, "example.org");
    EXPECT_EQ(sig.selector, "sel.2026");
    EXPECT_EQ(sig.alg, SigAlgorithm::kRsaSha256);
    EXPECT_EQ(sig.header_canon, Canon::kRelaxed);
    EXPECT_EQ(sig.body_canon, Canon::kSimple);   // "relaxed" alone: relaxed/simple
    EXPECT_EQ(sig.headers, (std::vector<std::string>{"from", "to"}));
    EXPECT_EQ(sig.identity, "alice@mail.example.org");
    EXPECT_EQ(sig.length, 12u);
    EXPECT_EQ(sig.timestamp, 100);
    EXPECT_EQ(sig.expiration, 200);
    EXPECT_EQ(sig.b_base64, "BBBBCA==");
    EXPECT_EQ(sig.b.size(), 4u);
    EXPECT_EQ(raw.substr(sig.b_offset, sig.b_size), "BBBB\r\n\t CA==");
}

TEST(DkimSignatureParse, DefaultsAndClampedNumbers) {
    Signature sig;
    ASSERT_EQ(parse_signature(field("v=1; a=ed25519-sha256; d=example.org; s=s; h=from; bh=AAAA; b=AAAA; "
                                    "l=99999999999999999999999999"),
                              sig),
              "");
    EXPECT_EQ(sig.alg, SigAlgorithm::kEd25519Sha256);
    EXPECT_EQ(sig.header_canon, Canon::kSimple);
    EXPECT_EQ(sig.body_canon, Canon::kSimple);
    EXPECT_EQ(sig.identity, "@example.org");
    EXPECT_EQ(sig.length, UINT64_MAX);
}

TEST(DkimSignatureParse, InvalidSignaturesSayWhy) {
    const std::string base = "a=rsa-sha256; d=example.org; s=s; bh=AAAA; b=AAAA";
    const std::pair<std::string, std::string> cases[] = {
        {"v=1; " + base, "missing required tag h="},
        {base + "; h=from", "missing required tag v="},
        {"v=2; h=from; " + base, "unsupported version v=2"},
        {"v=1; h=to:subject; " + base, "h= does not sign From (RFC 6376 5.4)"},
        {"v=1; h=from::to; " + base, "h= has an invalid field name"},
        {"v=1; h=from; i=alice@example.com; " + base, "i= domain is not d= or a subdomain of it"},
        {"v=1; h=from; i=alice@badexample.org; " + base, "i= domain is not d= or a subdomain of it"},
        {"v=1; h=from; i=alice; " + base, "i= has no \"@\""},
        {"v=1; h=from; i=; " + base, "i= has no \"@\""},
        {"v=1; h=from; c=relaxed/fancy; " + base, "unsupported canonicalization c=relaxed/fancy"},
        {"v=1; h=from; q=https; " + base, "q= offers no dns/txt"},
        {"v=1; h=from; l=-1; " + base, "l= is not a number"},
        {"v=1; h=from; t=200; x=100; " + base, "x= is before t="},
        {"v=1; h=from; a=rsa-md5; d=example.org; s=s; bh=AAAA; b=AAAA", "unsupported algorithm a=rsa-md5"},
        {"v=1; h=from; a=rsa-sha256; d=example.org; s=s; bh=AAAA; b=A*AA", "b= is not base64"},
        {"v=1; h=from; a=rsa-sha256; d=exa mple.org; s=s; bh=AAAA; b=AAAA", "d= is not a domain name"},
        {"v=1; h=from; a=rsa-sha256; d=example.org; s=a..b; bh=AAAA; b=AAAA", "s= is not a valid selector"},
        {"v=1; h=from; v=1; " + base, "malformed tag list: tag v= occurs twice"},
    };
    for (const auto& [tags, reason] : cases) {
        Signature sig;
        EXPECT_EQ(parse_signature(field(tags), sig), reason) << tags;
    }
    // What could be read is still there for the report.
    Signature sig;
    EXPECT_NE(parse_signature(field("v=1; h=to; " + base), sig), "");
    EXPECT_EQ(sig.domain, "example.org");
    EXPECT_EQ(sig.algorithm, "rsa-sha256");
}

TEST(DkimSignatureParse, TheFieldAsHashedHasAnEmptyBValue) {
    const std::string raw = "DKIM-Signature: v=1; a=rsa-sha256; d=example.org;\r\n s=s; h=from; bh=AAAA;\r\n"
                            " b=BBBB\r\n  CCCC \r\n";
    Signature sig;
    ASSERT_EQ(parse_signature(raw, sig), "");
    sig.header_canon = Canon::kSimple;
    // "including all surrounding whitespace" (RFC 6376 3.7): the blank after the value goes too.
    EXPECT_EQ(canonical_signature_field(raw, sig),
              "DKIM-Signature: v=1; a=rsa-sha256; d=example.org;\r\n s=s; h=from; bh=AAAA;\r\n b=");
    sig.header_canon = Canon::kRelaxed;
    EXPECT_EQ(canonical_signature_field(raw, sig),
              "dkim-signature:v=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=");
}

TEST(DkimSignatureParse, TheWhitespaceAroundTheBValueIsDeletedWithIt) {
    // A signer that folds right after "b=" (and one whose b= is not last)
    // hashed "b=" with nothing around it; under simple canonicalization the
    // fold must not stay behind.
    const std::string raw = "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=\r\n\t"
                            "BBBB\r\n\tCCCC \t; t=1\r\n";
    Signature sig;
    ASSERT_EQ(parse_signature(raw, sig), "");
    EXPECT_EQ(sig.b_base64, "BBBBCCCC");
    sig.header_canon = Canon::kSimple;
    EXPECT_EQ(canonical_signature_field(raw, sig),
              "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=; t=1");
    // The fuzzer's input (tests/fuzz/regressions/dkim): a bare CR and LF
    // between "b=" and the value left the hashed field ending in CRLF.
    const std::string odd = "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=\r \n BBBB\r\n";
    ASSERT_EQ(parse_signature(odd, sig), "");
    sig.header_canon = Canon::kSimple;
    EXPECT_EQ(canonical_signature_field(odd, sig),
              "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=");
}

TEST(DkimKeyRecord, RsaAndEd25519Keys) {
    auto rsa = SigningKey::generate(Algorithm::kRsaSha256, 1024).value();
    auto rec = parse_key_record(rsa.dns_record().value());
    ASSERT_TRUE(rec) << rec.error().message;
    EXPECT_EQ(rec->type, KeyType::kRsa);
    EXPECT_EQ(rec->bits, 1024u);
    EXPECT_FALSE(rec->revoked);
    EXPECT_EQ(key_mismatch(*rec, SigAlgorithm::kRsaSha256), "");
    EXPECT_EQ(key_mismatch(*rec, SigAlgorithm::kEd25519Sha256), "the key type (k=) does not match a=");
    auto ed = SigningKey::generate(Algorithm::kEd25519Sha256).value();
    // Folded into several strings and lines, flags and notes around it.
    std::string p = ed.public_key_base64().value();
    p.insert(20, " \r\n\t");
    rec = parse_key_record("v=DKIM1; k=ed25519; t=y:s; h=sha256; s=email:*; n=a note; p=" + p);
    ASSERT_TRUE(rec) << rec.error().message;
    EXPECT_EQ(rec->type, KeyType::kEd25519);
    EXPECT_TRUE(rec->testing);
    EXPECT_TRUE(rec->strict);
    EXPECT_EQ(key_mismatch(*rec, SigAlgorithm::kEd25519Sha256), "");
}

TEST(DkimKeyRecord, RevokedAndHashRestricted) {
    auto rec = parse_key_record("v=DKIM1; p=");
    ASSERT_TRUE(rec) << rec.error().message;
    EXPECT_TRUE(rec->revoked);
    EXPECT_EQ(rec->key, nullptr);
    auto rsa = SigningKey::generate(Algorithm::kRsaSha256, 1024).value();
    rec = parse_key_record("h=sha1; p=" + rsa.public_key_base64().value());   // v= and k= are optional
    ASSERT_TRUE(rec) << rec.error().message;
    EXPECT_EQ(key_mismatch(*rec, SigAlgorithm::kRsaSha1), "");
    EXPECT_EQ(key_mismatch(*rec, SigAlgorithm::kRsaSha256), "the key record's h= does not allow sha256");
}

TEST(DkimKeyRecord, UnusableRecordsSayWhy) {
    auto ed = SigningKey::generate(Algorithm::kEd25519Sha256).value().public_key_base64().value();
    const std::pair<std::string, std::string> cases[] = {
        {"k=rsa; v=DKIM1; p=" + ed, "v= of the key record is not a leading DKIM1"},
        {"v=DKIM2; p=" + ed, "v= of the key record is not a leading DKIM1"},
        {"v=DKIM1; k=dsa; p=" + ed, "unknown key type k=dsa"},
        {"v=DKIM1; k=ed25519; s=tls; p=" + ed, "the key is not for email (s=tls)"},
        {"v=DKIM1; k=ed25519", "the key record has no p="},
        {"v=DKIM1; k=ed25519; p=%%%%", "p= of the key record is not base64"},
        {"v=DKIM1; k=ed25519; p=AAAA", "p= is not an Ed25519 public key"},
        {"v=DKIM1; k=rsa; p=" + ed, "p= is not an RSA public key"},
        {"v=spf1 -all", "v= of the key record is not a leading DKIM1"},
        {"p=AAAA; v=DKIM1", "v= of the key record is not a leading DKIM1"},
        {"v=DKIM1; k=rsa; p", "malformed key record: tag without \"=\": \"p\""},
    };
    for (const auto& [text, reason] : cases) {
        auto rec = parse_key_record(text);
        ASSERT_FALSE(rec) << text;
        EXPECT_EQ(rec.error().message, reason) << text;
    }
}

TEST(DkimBodyHash, LimitCountsCanonicalBytes) {
    // Relaxed: "a b\r\n" + "c\r\n" = 8 canonical bytes; trailing empty lines are not counted.
    const std::string body = "a  b \r\nc\r\n\r\n\r\n";
    auto whole = body_hash(body, Canon::kRelaxed, HashAlg::kSha256).value();
    EXPECT_EQ(whole.canonical_size, 8u);
    auto first5 = body_hash(body, Canon::kRelaxed, HashAlg::kSha256, 5).value();
    EXPECT_EQ(first5.canonical_size, 8u);
    EXPECT_EQ(first5.digest, body_hash("a b\r\n", Canon::kRelaxed, HashAlg::kSha256).value().digest);
    EXPECT_EQ(body_hash(body, Canon::kRelaxed, HashAlg::kSha256, 8).value().digest, whole.digest);
    EXPECT_EQ(body_hash(body, Canon::kRelaxed, HashAlg::kSha1).value().digest.size(), 20u);
    // l=0 signs nothing of the body: the hash of the empty string.
    EXPECT_EQ(body_hash(body, Canon::kRelaxed, HashAlg::kSha256, 0).value().digest,
              body_hash("", Canon::kRelaxed, HashAlg::kSha256).value().digest);
}

TEST(DkimHeaderSelection, BottomUpAndOversigned) {
    const auto fields = read_header_fields("Received: 1\r\nTo: a\r\nreceived: 2\r\nFrom: f\r\n\r\n");
    std::string data;
    append_signed_fields(fields, {"received", "received", "received", "from", "x-absent"}, Canon::kSimple, data);
    EXPECT_EQ(data, "received: 2\r\nReceived: 1\r\nFrom: f\r\n");
}

}  // namespace
}  // namespace ringpost::dkim
