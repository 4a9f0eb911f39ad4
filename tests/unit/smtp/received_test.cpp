// Tests for the Received: header and protocol names (src/smtp/received.hpp).
#include "smtp/received.hpp"

#include <gtest/gtest.h>

using namespace ringpost::smtp;

TEST(Received, ProtocolNames) {
    EXPECT_EQ(protocol_name(false, false, false, false), "SMTP");
    EXPECT_EQ(protocol_name(false, false, true, true), "SMTP");
    EXPECT_EQ(protocol_name(true, false, false, false), "ESMTP");
    EXPECT_EQ(protocol_name(true, false, true, false), "ESMTPS");
    EXPECT_EQ(protocol_name(true, false, false, true), "ESMTPA");
    EXPECT_EQ(protocol_name(true, false, true, true), "ESMTPSA");
    EXPECT_EQ(protocol_name(true, true, false, false), "UTF8SMTP");
    EXPECT_EQ(protocol_name(true, true, true, false), "UTF8SMTPS");
    EXPECT_EQ(protocol_name(true, true, false, true), "UTF8SMTPA");
    EXPECT_EQ(protocol_name(true, true, true, true), "UTF8SMTPSA");
}

TEST(Received, Dates) {
    auto date = [](int64_t t) {
        std::string s;
        append_rfc5322_date(s, t);
        return s;
    };
    EXPECT_EQ(date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
    EXPECT_EQ(date(1700000000), "Tue, 14 Nov 2023 22:13:20 +0000");
    EXPECT_EQ(date(1798107199), "Thu, 24 Dec 2026 10:13:19 +0000");
    EXPECT_EQ(date(-1), "Wed, 31 Dec 1969 23:59:59 +0000");
}

TEST(Received, OneRecipient) {
    std::string s;
    append_received(s, ReceivedFields{.helo = "client.example",
                                      .client_ip = "192.0.2.1",
                                      .hostname = "mx.example",
                                      .protocol = "ESMTP",
                                      .queue_id = "0123456789ABCDEF",
                                      .for_recipient = "user@example.com",
                                      .time = 1700000000});
    EXPECT_EQ(s,
              "Received: from client.example ([192.0.2.1])\r\n"
              "\tby mx.example (ringpost) with ESMTP id 0123456789ABCDEF\r\n"
              "\tfor <user@example.com>; Tue, 14 Nov 2023 22:13:20 +0000\r\n");
}

TEST(Received, SeveralRecipientsAndIPv6) {
    std::string s;
    append_received(s, ReceivedFields{.helo = "h",
                                      .client_ip = "2001:db8::1",
                                      .hostname = "mx",
                                      .protocol = "UTF8SMTPS",
                                      .queue_id = "Q",
                                      .for_recipient = {},
                                      .time = 0});
    EXPECT_EQ(s,
              "Received: from h ([IPv6:2001:db8::1])\r\n"
              "\tby mx (ringpost) with UTF8SMTPS id Q;\r\n"
              "\tThu, 1 Jan 1970 00:00:00 +0000\r\n");
}

TEST(Received, UnknownClientAddress) {
    std::string s;
    append_received(s, ReceivedFields{.helo = "h",
                                      .client_ip = {},
                                      .hostname = "mx",
                                      .protocol = "SMTP",
                                      .queue_id = "Q",
                                      .for_recipient = {},
                                      .time = 0});
    EXPECT_NE(s.find("from h (unknown)\r\n"), std::string::npos) << s;
}

TEST(Received, OverTls) {
    std::string s;
    append_received(s, ReceivedFields{.helo = "client.example",
                                      .client_ip = "192.0.2.1",
                                      .hostname = "mx.example",
                                      .protocol = "ESMTPSA",
                                      .tls_version = "TLSv1.3",
                                      .tls_cipher = "TLS_AES_256_GCM_SHA384",
                                      .tls_cipher_bits = 256,
                                      .queue_id = "0123456789ABCDEF",
                                      .for_recipient = {},
                                      .time = 1700000000});
    EXPECT_EQ(s,
              "Received: from client.example ([192.0.2.1])\r\n"
              "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
              "\tby mx.example (ringpost) with ESMTPSA id 0123456789ABCDEF;\r\n"
              "\tTue, 14 Nov 2023 22:13:20 +0000\r\n");
}
