// The message composer (mail/compose.hpp), checked through Python's email
// package (compose_check.py): the structure a mail library sees, decoded
// headers and bodies equal to what went in, no parser defects, 7-bit clean
// output with CRLF line ends and lines within 998 characters.
#include "mail/compose.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace ringpost::mail;
using nlohmann::json;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = getenv(name);
    return v ? v : fallback;
}

// One Python start for several messages (starting it per message is slow on a loaded machine).
std::vector<json> parse_with_python(const std::vector<std::string>& messages) {
    std::string cmd = "'" + env_or("RINGPOST_PYTHON", "python3") + "' '" +
                      env_or("RINGPOST_COMPOSE_CHECK", "tests/unit/mail/compose_check.py") + "'";
    std::vector<std::string> files;
    for (size_t i = 0; i < messages.size(); ++i) {
        // The pid in the name: test runs of other build directories share /tmp.
        files.push_back(testing::TempDir() + "compose-" + std::to_string(getpid()) + "-" + std::to_string(i) + ".eml");
        std::ofstream(files.back(), std::ios::binary) << messages[i];
        cmd += " '" + files.back() + "'";
    }
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    const int status = pclose(p);
    for (const auto& f : files) std::remove(f.c_str());
    if (status != 0) throw std::runtime_error("compose_check.py failed: " + out);
    std::vector<json> parsed;
    size_t pos = 0;
    while (pos < out.size()) {
        size_t nl = out.find('\n', pos);
        parsed.push_back(json::parse(out.substr(pos, nl - pos)));
        pos = nl == std::string::npos ? out.size() : nl + 1;
    }
    return parsed;
}

json parse_one(const std::string& message) { return parse_with_python({message}).at(0); }

Composition basic() {
    Composition c;
    c.from = {"Sender", "news@example.com"};
    c.to = {{"Ann", "ann@example.net"}};
    c.subject = "Hello";
    c.text = "Hi Ann,\nplain text.\n";
    return c;
}

void expect_clean(const json& m) {
    EXPECT_TRUE(m["defects"].empty()) << m["defects"].dump();
    EXPECT_LE(m["max_line"].get<int>(), 998);
    EXPECT_EQ(m["bare_lf"], 0);
    EXPECT_FALSE(m["eight_bit"].get<bool>()) << "7-bit clean: no 8BITMIME needed";
}

}  // namespace

TEST(Compose, TextOnlyIsOneTextPart) {
    auto m = compose(basic(), 1);
    ASSERT_TRUE(m.ok()) << m.error().message;
    json p = parse_one(*m);
    expect_clean(p);
    EXPECT_EQ(p["headers"]["From"], "Sender <news@example.com>");
    EXPECT_EQ(p["headers"]["To"], "Ann <ann@example.net>");
    EXPECT_EQ(p["headers"]["Subject"], "Hello");
    EXPECT_EQ(p["headers"]["MIME-Version"], "1.0");
    EXPECT_EQ(p["structure"], json::array({"text/plain"}));
    EXPECT_EQ(p["parts"][0]["text"], "Hi Ann,\nplain text.\n");
    EXPECT_EQ(p["parts"][0]["cte"], "7bit");
}

TEST(Compose, TextAndHtmlWithAttachmentsNest) {
    Composition c = basic();
    c.html = "<p>Hi <img src=\"cid:logo@x\"></p>";
    c.attachments = {{"logo.png", "image/png", std::string("\x89PNG\r\n\x1a\n\0\xff", 10), "logo@x"},
                     {"report.pdf", "application/pdf", "%PDF-1.4 binary \x01\x02", ""}};
    auto m = compose(c, 2);
    ASSERT_TRUE(m.ok()) << m.error().message;
    json p = parse_one(*m);
    expect_clean(p);
    EXPECT_EQ(p["structure"], json::array({"multipart/mixed", "multipart/related", "multipart/alternative",
                                           "text/plain", "text/html", "image/png", "application/pdf"}));
    EXPECT_EQ(p["parts"][1]["text"], "<p>Hi <img src=\"cid:logo@x\"></p>\n");
    EXPECT_EQ(p["parts"][2]["disposition"], "inline");
    EXPECT_EQ(p["parts"][2]["content_id"], "<logo@x>");
    EXPECT_EQ(p["parts"][2]["data_hex"], "89504e470d0a1a0a00ff");
    EXPECT_EQ(p["parts"][3]["disposition"], "attachment");
    EXPECT_EQ(p["parts"][3]["filename"], "report.pdf");
}

TEST(Compose, UnicodeTextNamesAndSubjectsAreEncoded) {
    Composition c = basic();
    c.from.name = "Zoë \"the\" Sender";
    c.to = {{"Jürgen Groß", "j@example.net"}, {"O'Brien, Pat", "pat@example.net"}, {"", "bare@example.net"}};
    c.subject = std::string(40, 'x') + " Grüße aus Köln — ünïcödé in a long subject " + std::string(30, 'y');
    c.text = "Grüße\n" + std::string(1500, 'a') + "\nend";
    c.headers = {{"List-Unsubscribe", "<https://example.com/u/1>"}, {"X-Note", "café"}};
    c.attachments = {{"résumé.txt", "text/plain", "hello", ""}};
    auto m = compose(c, 3);
    ASSERT_TRUE(m.ok()) << m.error().message;
    json p = parse_one(*m);
    expect_clean(p);
    EXPECT_EQ(p["headers"]["From"], "\"Zoë \\\"the\\\" Sender\" <news@example.com>");
    EXPECT_EQ(p["headers"]["Subject"], c.subject);
    EXPECT_EQ(p["headers"]["X-Note"], "café");
    EXPECT_EQ(p["headers"]["List-Unsubscribe"], "<https://example.com/u/1>");
    const std::string to = p["headers"]["To"];
    EXPECT_NE(to.find("Jürgen Groß <j@example.net>"), std::string::npos) << to;
    EXPECT_NE(to.find("\"O'Brien, Pat\" <pat@example.net>"), std::string::npos) << to;
    EXPECT_NE(to.find("bare@example.net"), std::string::npos) << to;
    EXPECT_EQ(p["parts"][0]["cte"], "quoted-printable");
    EXPECT_EQ(p["parts"][0]["text"], "Grüße\n" + std::string(1500, 'a') + "\nend\n");
    EXPECT_EQ(p["parts"][1]["filename"], "résumé.txt");
}

TEST(Compose, ManyRecipientsFoldTheAddressField) {
    Composition c = basic();
    c.to.clear();
    for (int i = 0; i < 60; ++i) c.to.push_back({"Person " + std::to_string(i), "p" + std::to_string(i) + "@example.net"});
    auto m = compose(c, 4);
    ASSERT_TRUE(m.ok());
    json p = parse_one(*m);
    expect_clean(p);
    EXPECT_LE(p["max_line"].get<int>(), 78 + 30);
    EXPECT_NE(p["headers"]["To"].get<std::string>().find("Person 59 <p59@example.net>"), std::string::npos);
}

TEST(Compose, BoundaryLookalikesInTextAreEncoded) {
    Composition c = basic();
    c.html = "<p>html</p>";
    c.text = "--=_rp0000000000000005_1\n=_rp inside\n";
    auto m = compose(c, 5);
    ASSERT_TRUE(m.ok());
    json p = parse_one(*m);
    expect_clean(p);
    EXPECT_EQ(p["parts"].size(), 2u);
    EXPECT_EQ(p["parts"][0]["text"], "--=_rp0000000000000005_1\n=_rp inside\n");
}

TEST(Compose, BadFieldsAreNamed) {
    auto error_of = [](Composition c) {
        auto m = compose(c, 6);
        return m.ok() ? std::string("ok") : m.error().message;
    };
    Composition c = basic();
    c.from.address = "not an address";
    EXPECT_EQ(error_of(c), "from: not an address: \"not an address\"");
    c = basic();
    c.to.push_back({"", "x@y\r\nBcc: evil@example.com"});
    EXPECT_EQ(error_of(c).rfind("to[1]: not an address", 0), 0u);
    c = basic();
    c.subject = "line\r\nBcc: evil@example.com";
    EXPECT_EQ(error_of(c), "subject: a line break or invalid UTF-8");
    c = basic();
    c.headers = {{"Content-Type", "text/html"}};
    EXPECT_EQ(error_of(c), "headers.Content-Type: is composed from the message's own fields");
    c = basic();
    c.headers = {{"X Bad", "v"}};
    EXPECT_EQ(error_of(c), "headers[0]: not a header field name: \"X Bad\"");
    c = basic();
    c.text.clear();
    EXPECT_EQ(error_of(c), "content: neither text nor html");
    c = basic();
    c.text = "bad \xff utf-8";
    EXPECT_EQ(error_of(c), "text: not valid UTF-8");
    c = basic();
    c.attachments = {{"a", "nonsense", "x", ""}};
    EXPECT_EQ(error_of(c), "attachments[0].content_type: expected type/subtype, got \"nonsense\"");
    c = basic();
    c.to.clear();
    EXPECT_EQ(error_of(c), "to: at least one address");
}

TEST(EncodeHeaderText, WordsKeepWholeCharactersAndStayShort) {
    EXPECT_EQ(encode_header_text("plain"), "plain");
    const std::string text = std::string(100, 'a') + "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€";
    const std::string enc = encode_header_text(text);
    size_t start = 0;
    while (start < enc.size()) {
        size_t end = enc.find("\r\n ", start);
        const std::string word = enc.substr(start, end == std::string::npos ? std::string::npos : end - start);
        EXPECT_LE(word.size(), 75u);
        EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0u);
        start = end == std::string::npos ? enc.size() : end + 3;
    }
}
