// The test driver of the delivery client's state machine (ClientSession),
// shared by the session tests: it plays the server byte for byte.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "delivery/smtp_client.hpp"

namespace ringpost::delivery::test {

using Want = ClientSession::Want;

inline constexpr std::string_view kFullEhlo =
    "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
    "250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n";
inline constexpr std::string_view kChunkingEhlo =
    "250-mx.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 8BITMIME\r\n";
inline constexpr std::string_view kPlainEhlo = "250-mx.example.org\r\n250 8BITMIME\r\n";

struct Harness {
    explicit Harness(ClientConfig config = make_config()) : s(std::move(config)) {}

    static ClientConfig make_config() {
        ClientConfig c;
        c.hostname = "relay.example.net";
        return c;
    }

    // Everything the client wants to write now, and how many write calls it took.
    std::string drain() {
        std::string out;
        writes = 0;
        while (s.want() == Want::kWrite) {
            std::string_view v = s.output();
            EXPECT_FALSE(v.empty());
            out += v;
            s.written(v.size());
            ++writes;
        }
        return out;
    }
    void reply(std::string_view r) {
        ASSERT_EQ(s.want(), Want::kRead) << "client was not waiting for: " << r;
        s.feed(r);
    }
    // Greeting and EHLO with the given extensions; the session ends up idle.
    void hello(std::string_view ehlo) {
        EXPECT_EQ(s.timeout_kind(), TimeoutKind::kInitial);
        reply("220 mx.example.org ESMTP\r\n");
        EXPECT_EQ(drain(), "EHLO relay.example.net\r\n");
        reply(ehlo);
        ASSERT_EQ(s.want(), Want::kReady);
    }

    ClientSession s;
    int writes = 0;
};

inline Transaction make_tx(std::vector<std::string> rcpts, std::string_view body = "Subject: t\r\n\r\nhello\r\n") {
    Transaction tx;
    tx.sender = "alice@example.net";
    for (auto& r : rcpts) tx.recipients.push_back(ClientRecipient{r, "", 0});
    tx.body = body;
    return tx;
}

}  // namespace ringpost::delivery::test
