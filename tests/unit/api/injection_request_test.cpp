// The injection API's request body (server/injection_request.hpp): raw and
// structured content, how recipients become messages, substitutions, and
// errors that name the field at fault.
#include "api/injection_request.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace ringpost::api;

namespace {

std::vector<InjectionMessage> ok(std::string_view body, InjectionLimits limits = {}) {
    auto r = parse_injection(body, limits, 7);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<InjectionMessage>{};
}

std::string error(std::string_view body, InjectionLimits limits = {}) {
    auto r = parse_injection(body, limits, 7);
    return r.ok() ? "ok" : r.error().message;
}

}  // namespace

TEST(InjectionRequest, RawContentIsOneMessageForAllRecipients) {
    auto m = ok(R"({"envelope_sender": "s@example.com", "recipients": ["a@x.test", {"email": "b@x.test"}],
                    "content": "Subject: hi\n\nline\r\nline2"})");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].sender, "s@example.com");
    EXPECT_EQ(m[0].recipients, (std::vector<std::string>{"a@x.test", "b@x.test"}));
    EXPECT_EQ(m[0].content, "Subject: hi\r\n\r\nline\r\nline2");
}

TEST(InjectionRequest, EveryKindOfLineEndBecomesCrlf) {
    auto m = ok(R"({"envelope_sender": "", "recipients": ["a@x"], "content": "\r\nA\rB\nC\r\n\n\r\rD\r"})");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].content, "\r\nA\r\nB\r\nC\r\n\r\n\r\n\r\nD\r\n");
    EXPECT_EQ(ok(R"({"envelope_sender": "", "recipients": ["a@x"], "content": "no line end"})")[0].content,
              "no line end");
}

TEST(InjectionRequest, LineEndsAgreeWithTheByteByByteDefinition) {
    // Random mixes of CR, LF and text (long runs of one kind too: the line-end
    // search remembers the next CR and LF), against: a CR LF pair, a bare CR
    // and a bare LF each become one CRLF.
    auto reference = [](const std::string& in) {
        std::string out;
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i] == '\r' || in[i] == '\n') {
                out += "\r\n";
                if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
            } else {
                out += in[i];
            }
        }
        return out;
    };
    std::mt19937 rng(20261207);
    const char alphabet[] = {'\r', '\n', 'a', 'b'};
    for (int round = 0; round < 2000; ++round) {
        std::string in(1 + rng() % 60, ' ');
        for (char& c : in) {
            // A third line ends only, a third mostly text, a third evenly mixed.
            const unsigned r = static_cast<unsigned>(rng());
            c = round % 3 == 0 ? alphabet[r % 2] : round % 3 == 1 ? alphabet[r % 10 == 0 ? r / 10 % 2 : 2 + r / 10 % 2]
                                                                   : alphabet[r % 4];
        }
        std::string escaped;
        for (char c : in) escaped += c == '\r' ? "\\r" : c == '\n' ? "\\n" : std::string(1, c);
        auto m = ok(R"({"envelope_sender": "", "recipients": ["a@x"], "content": ")" + escaped + "\"}");
        ASSERT_EQ(m.size(), 1u);
        EXPECT_EQ(m[0].content, reference(in)) << escaped;
    }
}

TEST(InjectionRequest, RawContentIsSplitAtTheRecipientLimit) {
    InjectionLimits limits;
    limits.max_recipients = 2;
    auto m = ok(R"({"envelope_sender": "", "recipients": ["a@x", "b@x", "c@x", "d@x", "e@x"], "content": "x"})", limits);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[2].recipients, std::vector<std::string>{"e@x"});
    for (const auto& each : m) EXPECT_EQ(each.content, "x");   // each its own copy
    EXPECT_EQ(m[0].sender, "");
}

TEST(InjectionRequest, SubstitutionsMakeOneMessagePerRecipient) {
    auto m = ok(R"({"envelope_sender": "s@example.com",
                    "recipients": [{"email": "a@x.test", "substitutions": {"name": "Ann", "n": 3}},
                                   {"email": "b@x.test", "substitutions": {"name": "Bob"}}],
                    "substitutions": {"n": 1, "company": "Example"},
                    "content": "Subject: Hello {{ name }}\n\n{{name}} of {{company}}: {{n}} new"})");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].content, "Subject: Hello Ann\r\n\r\nAnn of Example: 3 new");
    EXPECT_EQ(m[1].content, "Subject: Hello Bob\r\n\r\nBob of Example: 1 new");
    EXPECT_EQ(m[1].recipients, std::vector<std::string>{"b@x.test"});
}

TEST(InjectionRequest, StructuredContentIsComposedPerRecipient) {
    auto m = ok(R"({"envelope_sender": "bounces@example.com",
                    "recipients": [{"email": "a@x.test", "name": "Ann", "substitutions": {"first": "Ann"}}],
                    "content": {"from": {"email": "news@example.com", "name": "News"},
                                "subject": "For {{first}}", "text_body": "Hi {{first}}",
                                "html_body": "<b>Hi {{first}}</b>",
                                "headers": {"List-Unsubscribe": "<https://example.com/u>"},
                                "attachments": [{"data": "aGVsbG8=", "base64": true, "content_type": "text/plain",
                                                 "file_name": "a.txt"}]}})");
    ASSERT_EQ(m.size(), 1u);
    const std::string& c = m[0].content;
    EXPECT_EQ(m[0].sender, "bounces@example.com");
    EXPECT_NE(c.find("From: News <news@example.com>\r\n"), std::string::npos) << c;
    EXPECT_NE(c.find("To: Ann <a@x.test>\r\n"), std::string::npos) << c;
    EXPECT_NE(c.find("Subject: For Ann\r\n"), std::string::npos) << c;
    EXPECT_NE(c.find("List-Unsubscribe: <https://example.com/u>\r\n"), std::string::npos);
    EXPECT_NE(c.find("<b>Hi Ann</b>"), std::string::npos);
    EXPECT_NE(c.find("multipart/mixed"), std::string::npos);
    EXPECT_NE(c.find("aGVsbG8="), std::string::npos);
}

TEST(InjectionRequest, ErrorsNameTheField) {
    EXPECT_EQ(error("{").rfind("not valid JSON: ", 0), 0u) << error("{");
    EXPECT_EQ(error("[]"), "the request body must be a JSON object");
    EXPECT_EQ(error(R"({"recipients": ["a@x"], "content": "x"})"), "envelope_sender: missing (\"\" for the null sender)");
    EXPECT_EQ(error(R"({"envelope_sender": 5, "recipients": ["a@x"], "content": "x"})"),
              "envelope_sender: expected a string (\"\" for the null sender)");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": [], "content": "x"})"), "recipients: expected a non-empty array");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": [{"name": "x"}], "content": "x"})"), "recipients[0].email: missing");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": [7], "content": "x"})"),
              "recipients[0]: expected an address or an object with \"email\"");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": ["a@x"]})"), "content: missing");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": ["a@x"], "content": ""})"), "content: empty");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": [{"email": "a@x", "substitutions": {"a": "1"}}],
                        "content": "{{b}}"})"),
              "recipients[0]: content: no substitution for {{b}}");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": ["a@x"], "content": {"subject": "s", "text_body": "t"}})"),
              "content.from: missing");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": ["a@x"],
                        "content": {"from": "f@x", "text_body": "t", "attachments": [{"data": "!!", "base64": true}]}})"),
              "content.attachments[0].data: not valid base64");
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": ["not an address"], "content": {"from": "f@x", "text_body": "t"}})"),
              "content: to[0]: not an address: \"not an address\"");
    InjectionLimits limits;
    limits.max_request_recipients = 2;
    EXPECT_EQ(error(R"({"envelope_sender": "", "recipients": ["a@x", "b@x", "c@x"], "content": "x"})", limits),
              "recipients: more than 2 in one request");
}
