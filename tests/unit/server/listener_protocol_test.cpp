// Which service's limits a listener counts against, which proxy_protocol
// key is its own, and the refusal each protocol's client understands.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "server/listener_protocol.hpp"

namespace ringpost::server {
namespace {

using Verdict = ConnectionLimiter::Verdict;

TEST(ListenerProtocol, ImplicitTlsListenersCountWithTheirService) {
    ConnectionLimiter smtp(1, 1), submission(1, 1), pop3(1, 1), imap(1, 1);
    const ServiceLimiters all{&smtp, &submission, &pop3, &imap};
    EXPECT_EQ(&limiter_for(all, Protocol::kSmtp), &smtp);
    EXPECT_EQ(&limiter_for(all, Protocol::kSubmission), &submission);
    EXPECT_EQ(&limiter_for(all, Protocol::kSmtps), &submission);
    EXPECT_EQ(&limiter_for(all, Protocol::kPop3), &pop3);
    EXPECT_EQ(&limiter_for(all, Protocol::kPop3s), &pop3);
    EXPECT_EQ(&limiter_for(all, Protocol::kImap), &imap);
    EXPECT_EQ(&limiter_for(all, Protocol::kImaps), &imap);
}

TEST(ListenerProtocol, EachListenerHasItsOwnProxyProtocolKey) {
    const Protocol all[] = {Protocol::kSmtp,  Protocol::kSubmission, Protocol::kSmtps,
                            Protocol::kPop3,  Protocol::kPop3s,      Protocol::kImap,
                            Protocol::kImaps, Protocol::kHttp,       Protocol::kHttps};
    config::Config c = config::default_config();
    for (Protocol p : all) EXPECT_FALSE(proxy_protocol(c, p)) << protocol_name(p);
    // One key at a time turns on its listener and no other (http's covers https too).
    auto only = [&](auto set, std::vector<Protocol> expected) {
        config::Config one = config::default_config();
        set(one);
        for (Protocol p : all) {
            const bool want = std::find(expected.begin(), expected.end(), p) != expected.end();
            EXPECT_EQ(proxy_protocol(one, p), want) << protocol_name(p);
        }
    };
    only([](config::Config& x) { x.smtp.proxy_protocol = true; }, {Protocol::kSmtp});
    only([](config::Config& x) { x.submission.proxy_protocol = true; }, {Protocol::kSubmission});
    only([](config::Config& x) { x.smtps.proxy_protocol = true; }, {Protocol::kSmtps});
    only([](config::Config& x) { x.pop3.proxy_protocol = true; }, {Protocol::kPop3});
    only([](config::Config& x) { x.pop3s.proxy_protocol = true; }, {Protocol::kPop3s});
    only([](config::Config& x) { x.imap.proxy_protocol = true; }, {Protocol::kImap});
    only([](config::Config& x) { x.imaps.proxy_protocol = true; }, {Protocol::kImaps});
    only([](config::Config& x) { x.http.proxy_protocol = true; }, {Protocol::kHttp, Protocol::kHttps});
}

TEST(ListenerProtocol, RefusalsSpeakTheClientsProtocol) {
    EXPECT_EQ(std::string(refusal_reply(Protocol::kSmtp, Verdict::kTooManyTotal)),
              "421 4.7.0 Error: too many connections, try again later\r\n");
    EXPECT_EQ(std::string(refusal_reply(Protocol::kSmtps, Verdict::kTooManyFromIp)),
              "421 4.7.0 Error: too many connections from your address\r\n");
    EXPECT_EQ(std::string(refusal_reply(Protocol::kPop3s, Verdict::kTooManyTotal)),
              "-ERR [SYS/TEMP] Too many connections, try again later\r\n");
    EXPECT_EQ(std::string(refusal_reply(Protocol::kImap, Verdict::kTooManyFromIp)),
              "* BYE [UNAVAILABLE] Too many connections from your address\r\n");
    EXPECT_TRUE(is_implicit_tls(Protocol::kImaps));
    EXPECT_FALSE(is_implicit_tls(Protocol::kSubmission));
}

TEST(ListenerProtocol, HttpCountsWithItsOwnLimiterAndRefusesWith503) {
    ConnectionLimiter smtp(1, 1), submission(1, 1), pop3(1, 1), imap(1, 1), http(1, 1);
    const ServiceLimiters all{&smtp, &submission, &pop3, &imap, &http};
    EXPECT_EQ(&limiter_for(all, Protocol::kHttp), &http);
    EXPECT_EQ(&limiter_for(all, Protocol::kHttps), &http);
    EXPECT_TRUE(is_implicit_tls(Protocol::kHttps));
    EXPECT_FALSE(is_implicit_tls(Protocol::kHttp));
    EXPECT_EQ(std::string(protocol_name(Protocol::kHttps)), "https");
    for (const Verdict v : {Verdict::kTooManyTotal, Verdict::kTooManyFromIp}) {
        const std::string reply = refusal_reply(Protocol::kHttp, v);
        ASSERT_EQ(reply.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << reply;
        EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos);
        // Content-Length says exactly how long the body is.
        const size_t at = reply.find("Content-Length: ");
        const size_t body = reply.find("\r\n\r\n") + 4;
        EXPECT_EQ(std::stoul(reply.substr(at + 16)), reply.size() - body) << reply;
    }
}

}  // namespace
}  // namespace ringpost::server
