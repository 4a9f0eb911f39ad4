// URLs of webhooks and the request the client writes (events/http_client.hpp),
// the retry backoff (events/backoff.hpp) and the batch body (events/sink.hpp).
#include <gtest/gtest.h>

#include "events/backoff.hpp"
#include "events/http_client.hpp"
#include "events/sink.hpp"

namespace ringpost::events {
namespace {

TEST(ParseUrl, HttpAndHttpsWithPortsPathsAndIpv6) {
    auto a = parse_url("http://127.0.0.1:8080/hook?x=1");
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->https);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 8080);
    EXPECT_EQ(a->target, "/hook?x=1");
    auto b = parse_url("https://hooks.example.com");
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(b->https);
    EXPECT_EQ(b->port, 443);
    EXPECT_EQ(b->target, "/");
    auto c = parse_url("http://[::1]:81?q");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->host, "::1");
    EXPECT_EQ(c->port, 81);
    EXPECT_EQ(c->target, "/?q");
}

TEST(ParseUrl, RefusesWhatItCannotUse) {
    for (const char* bad : {"ftp://x/", "http://", "http://:80/", "http://u:p@host/", "http://host:0/",
                            "http://host:65536/", "http://host:8x/", "http://[::1/", "http://host/a b",
                            "http://host/#frag", "http://host/\r\nX: y", "http://[::1]x/"}) {
        EXPECT_FALSE(parse_url(bad).ok()) << bad;
    }
}

TEST(FormatPost, RequestLineHostHeadersAndBody) {
    HttpPost p;
    p.url = parse_url("http://[::1]:8080/in").value();
    p.content_type = "application/x-ndjson";
    p.headers = {{"Authorization", "Bearer t"}};
    p.body = "{\"id\":1}\n";
    EXPECT_EQ(format_post(p),
              "POST /in HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: ringpost\r\n"
              "Content-Type: application/x-ndjson\r\nContent-Length: 9\r\nAuthorization: Bearer t\r\n\r\n"
              "{\"id\":1}\n");
    p.url = parse_url("https://h.example/").value();
    EXPECT_NE(format_post(p).find("\r\nHost: h.example\r\n"), std::string::npos);   // default port left out
}

TEST(Backoff, DoublesUpToTheCapAndStartsOverAfterASuccess) {
    using std::chrono::milliseconds;
    Backoff b(milliseconds(1000), milliseconds(5000));
    EXPECT_EQ(b.next(), milliseconds(1000));
    EXPECT_EQ(b.next(), milliseconds(2000));
    EXPECT_EQ(b.next(), milliseconds(4000));
    EXPECT_EQ(b.next(), milliseconds(5000));
    EXPECT_EQ(b.next(), milliseconds(5000));
    b.reset();
    EXPECT_EQ(b.next(), milliseconds(1000));
    Backoff odd(milliseconds(0), milliseconds(0));   // never a busy loop
    EXPECT_EQ(odd.next(), milliseconds(1));
}

TEST(JsonLines, OneLinePerEventEachEndingInANewline) {
    std::vector<store::LoggedEvent> events{{1, 0, "{\"id\":1}"}, {2, 0, "{\"id\":2}"}};
    EXPECT_EQ(json_lines(events), "{\"id\":1}\n{\"id\":2}\n");
    EXPECT_EQ(json_lines({}), "");
}

}  // namespace
}  // namespace ringpost::events
