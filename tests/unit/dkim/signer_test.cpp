// DKIM signatures checked by an independent verifier: dkimpy (Debian
// python3-dkim) through verify.py, with the key records handed over in
// place of DNS. Covers RSA and Ed25519, both canonicalizations, 8-bit
// bodies, long folded headers, bodies without a final CRLF or with trailing
// empty lines, repeated fields, and that From is over-signed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "dkim/signer.hpp"

namespace ringpost::dkim {
namespace {

constexpr int64_t kNow = 1796000000;

struct Verdict {
    bool all_pass = false;
    std::string output;
};

// Runs verify.py over `messages` with one record per key; one Verdict per message.
std::vector<Verdict> verify_all(const std::vector<std::string>& messages,
                                const std::vector<std::pair<std::string, const SigningKey*>>& keys) {
    std::vector<Verdict> verdicts(messages.size());
    const char* script = std::getenv("RINGPOST_DKIM_VERIFY");
    if (script == nullptr) {
        ADD_FAILURE() << "RINGPOST_DKIM_VERIFY is not set (run through meson test)";
        return verdicts;
    }
    std::string cmd = std::string("/usr/bin/python3 ") + script;
    for (const auto& [name, key] : keys) cmd += " '" + name + "=" + key->dns_record().value() + "'";
    cmd += " --";
    std::vector<std::string> files;
    for (const auto& m : messages) {
        char path[] = "/tmp/rp-dkim-msg-XXXXXX";
        const int fd = mkstemp(path);
        if (fd < 0) {
            ADD_FAILURE() << "mkstemp failed";
            return verdicts;
        }
        ::close(fd);
        std::ofstream(path, std::ios::binary) << m;
        files.push_back(path);
        cmd += std::string(" ") + path;
    }
    std::string output;
    if (FILE* p = popen((cmd + " 2>&1").c_str(), "r")) {
        char buf[512];
        while (fgets(buf, sizeof buf, p)) output += buf;
        pclose(p);
    }
    for (const auto& f : files) std::remove(f.c_str());
    for (size_t i = 0; i < messages.size(); ++i) {
        verdicts[i].output = output;
        verdicts[i].all_pass = output.find(std::to_string(i) + " ok\n") != std::string::npos;
    }
    return verdicts;
}

Verdict verify(const std::string& message, const std::vector<std::pair<std::string, const SigningKey*>>& keys) {
    return verify_all({message}, keys).front();
}

class DkimSigner : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        rsa_ = new SigningKey(SigningKey::generate(Algorithm::kRsaSha256, 2048).value());
        ed_ = new SigningKey(SigningKey::generate(Algorithm::kEd25519Sha256).value());
    }
    static void TearDownTestSuite() {
        delete rsa_;
        delete ed_;
    }

    static SignatureSpec spec(const SigningKey* key, std::string selector, Canon h = Canon::kRelaxed,
                              Canon b = Canon::kRelaxed) {
        SignatureSpec s;
        s.domain = "example.test";
        s.selector = std::move(selector);
        s.key = key;
        s.header_canon = h;
        s.body_canon = b;
        return s;
    }

    // Signs with RSA and Ed25519 (relaxed/relaxed) and returns the signed message.
    static std::string sign_both(const std::string& message) {
        std::vector<SignatureSpec> specs = {spec(rsa_, "rsa"), spec(ed_, "ed")};
        auto fields = sign(message, specs, kNow);
        EXPECT_TRUE(fields.ok()) << (fields.ok() ? "" : fields.error().message);
        return fields.ok() ? *fields + message : message;
    }

    static Verdict verify_both(const std::string& signed_message) {
        return verify(signed_message, {{"rsa._domainkey.example.test", rsa_}, {"ed._domainkey.example.test", ed_}});
    }

    static inline SigningKey* rsa_ = nullptr;
    static inline SigningKey* ed_ = nullptr;
};

const std::string kPlain =
    "From: Alice <alice@example.test>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Hello\r\n"
    "Date: Mon, 07 Dec 2026 03:00:00 +0000\r\n"
    "Message-ID: <1@example.test>\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "  some  spaced   text\t\r\n"
    "\r\n";

TEST_F(DkimSigner, RsaAndEd25519SignaturesVerify) {
    Verdict v = verify_both(sign_both(kPlain));
    EXPECT_TRUE(v.all_pass) << v.output;
    EXPECT_NE(v.output.find("0 0 pass example.test rsa-sha256"), std::string::npos) << v.output;
    EXPECT_NE(v.output.find("0 1 pass example.test ed25519-sha256"), std::string::npos) << v.output;
}

TEST_F(DkimSigner, SimpleCanonicalizationVerifies) {
    std::vector<SignatureSpec> specs = {spec(rsa_, "rsa", Canon::kSimple, Canon::kSimple),
                                        spec(ed_, "ed", Canon::kSimple, Canon::kSimple)};
    auto fields = sign(kPlain, specs, kNow);
    ASSERT_TRUE(fields.ok());
    EXPECT_NE(fields->find("c=simple/simple"), std::string::npos);
    Verdict v = verify_both(*fields + kPlain);
    EXPECT_TRUE(v.all_pass) << v.output;
}

TEST_F(DkimSigner, EightBitBodyAndHeadersVerify) {
    const std::string m =
        "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.test>\r\n"
        "Subject: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94 \xf0\x9f\x93\xa8\r\n";
    Verdict v = verify_both(sign_both(m));
    EXPECT_TRUE(v.all_pass) << v.output;
}

TEST_F(DkimSigner, LongFoldedHeadersAndManySignedFieldsVerify) {
    std::string m = "From: a@example.test\r\nTo: ";
    for (int i = 0; i < 60; ++i) m += (i ? ",\r\n\t" : "") + std::string("user") + std::to_string(i) + "@example.org";
    m += "\r\nSubject: " + std::string(900, 'x') + "\r\n";
    for (const char* name : {"Reply-To", "Cc", "In-Reply-To", "References", "List-Unsubscribe", "List-Id",
                             "MIME-Version", "Content-Type", "Feedback-ID"})
        m += std::string(name) + ": value of " + name + "\r\n";
    m += "\r\nbody\r\n";
    const std::string signed_message = sign_both(m);
    Verdict v = verify_both(signed_message);
    EXPECT_TRUE(v.all_pass) << v.output;
    // Every line of the signature fields stays short enough for any relay.
    const std::string fields = signed_message.substr(0, signed_message.size() - m.size());
    size_t start = 0;
    for (size_t nl; (nl = fields.find("\r\n", start)) != std::string::npos; start = nl + 2)
        EXPECT_LE(nl - start, 80u) << fields.substr(start, nl - start);
}

TEST_F(DkimSigner, BodyLineEndEdgesVerify) {
    std::vector<std::string> messages;
    for (const std::string body : {"", "no final line end", "trailing empty lines\r\n\r\n\r\n", "\r\n\r\n",
                                   "a\r\n\r\nb\r\n"})
        messages.push_back(sign_both("From: a@example.test\r\nSubject: edge\r\n\r\n" + body));
    // A message that is all header, without the empty line.
    messages.push_back(sign_both("From: a@example.test\r\nSubject: only a header\r\n"));
    auto verdicts = verify_all(messages, {{"rsa._domainkey.example.test", rsa_}, {"ed._domainkey.example.test", ed_}});
    for (size_t i = 0; i < verdicts.size(); ++i) EXPECT_TRUE(verdicts[i].all_pass) << "message " << i << ": " << verdicts[i].output;
}

TEST_F(DkimSigner, RepeatedFieldsAreAllSignedAndFromIsOversigned) {
    const std::string m = "Received: x\r\nFrom: a@example.test\r\nTo: one@example.org\r\nTo: two@example.org\r\n\r\nb\r\n";
    std::vector<SignatureSpec> specs = {spec(ed_, "ed")};
    auto fields = sign(m, specs, kNow);
    ASSERT_TRUE(fields.ok());
    EXPECT_NE(fields->find("h=from:from:to:to;"), std::string::npos) << *fields;
    EXPECT_EQ(fields->find("received"), std::string::npos) << *fields;
    // A second From added after signing breaks it; so does a changed body.
    const std::string forged = *fields + "From: mallory@example.test\r\n" + m;
    const std::string changed = *fields + m.substr(0, m.size() - 3) + "c\r\n";
    auto v = verify_all({*fields + m, forged, changed}, {{"ed._domainkey.example.test", ed_}});
    EXPECT_TRUE(v[0].all_pass) << v[0].output;
    EXPECT_FALSE(v[1].all_pass) << v[1].output;
    EXPECT_FALSE(v[2].all_pass) << v[2].output;
}

TEST_F(DkimSigner, ExpiryAndTimestampTags) {
    SignatureSpec s = spec(ed_, "ed");
    s.expire_after = 86400;
    std::vector<SignatureSpec> specs = {s};
    auto fields = sign(kPlain, specs, kNow);
    ASSERT_TRUE(fields.ok());
    EXPECT_NE(fields->find("t=" + std::to_string(kNow)), std::string::npos);
    EXPECT_NE(fields->find("x=" + std::to_string(kNow + 86400)), std::string::npos);
}

TEST_F(DkimSigner, MessageWithoutFromIsRefused) {
    std::vector<SignatureSpec> specs = {spec(ed_, "ed")};
    auto fields = sign("Subject: no sender\r\n\r\nbody\r\n", specs, kNow);
    ASSERT_FALSE(fields.ok());
    EXPECT_NE(fields.error().message.find("no From"), std::string::npos);
}

}  // namespace
}  // namespace ringpost::dkim
