// The fast JSON parse (api/fast_json.hpp): whatever it accepts, nlohmann
// parses to the same document, types of numbers included; whatever
// nlohmann refuses, it leaves to nlohmann (nullopt).
#include <gtest/gtest.h>

#include "api/fast_json.hpp"

namespace ringpost::api {
namespace {

using nlohmann::json;

// Equal values of equal types, all the way down (json's == calls 5 and 5u equal).
bool same(const json& a, const json& b) {
    if (a.type() != b.type()) return false;
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto it = a.begin(); it != a.end(); ++it)
            if (!b.contains(it.key()) || !same(it.value(), b.at(it.key()))) return false;
        return true;
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (!same(a[i], b[i])) return false;
        return true;
    }
    return a == b;
}

TEST(FastJson, AcceptsWhatNlohmannAcceptsWithTheSameDocument) {
    const std::vector<std::string> docs = {
        R"({})",
        R"( { "a" : [ ] , "b" : { } } )",
        "{\"envelope_sender\": \"bench@src.test\", \"recipients\": [\"user@sink.test\"], "
        "\"content\": \"From: a\\nTo: b\\r\\nSubject: x\\n\\n" + std::string(5000, 'x') + "\\n\"}",
        R"({"n": [0, -0, 7, -7, 123456789012345678, -123456789012345678]})",
        R"({"t": true, "f": false, "z": null, "nested": [[[{"x": [1]}]]]})",
        R"({"esc": "\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20ac \ud83d\ude00 \u0000"})",
        "{\"utf8\": \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \x7f\"}",
        R"({"dup": 1, "dup": 2})",
        R"([1, "two", {"three": 3}])",
        R"("just a string")",
        "\t\r\n {\"ws\"\t:\n1\r}\n",
    };
    for (const std::string& d : docs) {
        auto fast = fast_parse_json(d);
        ASSERT_TRUE(fast.has_value()) << d.substr(0, 100);
        EXPECT_TRUE(same(*fast, json::parse(d))) << d.substr(0, 100);
        EXPECT_EQ(fast->dump(), json::parse(d).dump());
    }
}

TEST(FastJson, LeavesEverythingElseToNlohmann) {
    const std::vector<std::string> docs = {
        "", "   ", "{", "}", R"({"a":})", R"({"a" 1})", R"({"a":1,})", R"([1,])", R"({a:1})", "[1 2]", "{} {}",
        "tru", "nul", R"({"n": 01})", R"({"n": 1.5})", R"({"n": 1e3})", R"({"n": -})", R"({"n": +1})",
        R"({"n": 1234567890123456789})", "{\"ctl\": \"a\x01b\"}", "{\"nl\": \"a\nb\"}",
        R"({"bad": "\x"})", R"({"bad": "\u12"})", R"({"lone": "\udc00"})", R"({"high": "\ud800x"})",
        R"({"high": "\ud800\u0041"})", "{\"bad\": \"\xff\"}", "{\"overlong\": \"\xc0\xaf\"}",
        "{\"surrogate\": \"\xed\xa0\x80\"}", "{\"big\": \"\xf4\x90\x80\x80\"}", "{\"cut\": \"\xe2\x82\"}",
        "\xef\xbb\xbf{}", R"({"open": "abc)", std::string(200, '[') + std::string(200, ']'),
    };
    for (const std::string& d : docs) EXPECT_FALSE(fast_parse_json(d).has_value()) << d.substr(0, 60);
    // What the fast path declines may still be valid: nlohmann then parses it.
    EXPECT_EQ(json::parse(R"({"n": 1.5})")["n"], 1.5);
    EXPECT_TRUE(json::parse("\xef\xbb\xbf{}").is_object());
}

}  // namespace
}  // namespace ringpost::api
