// Delivery prefix and Subject extraction.
#include "store/message_format.hpp"

#include <gtest/gtest.h>

using namespace ringpost::store;

TEST(MessageFormat, DeliveryPrefix) {
    EXPECT_EQ(delivery_prefix("bob@example.org", "alice@localhost"),
              "Return-Path: <bob@example.org>\r\nDelivered-To: alice@localhost\r\n");
    EXPECT_EQ(delivery_prefix("", "alice@localhost"), "Return-Path: <>\r\nDelivered-To: alice@localhost\r\n");
}

TEST(MessageFormat, SubjectFirstOccurrenceUnfolded) {
    EXPECT_EQ(extract_subject("From: a\r\nsubject:  Hello\r\n\tworld \r\nSubject: second\r\n\r\nbody"),
              "Hello\tworld");
    EXPECT_EQ(extract_subject("SUBJECT: lf only\nX: y\n\nbody"), "lf only");
}

TEST(MessageFormat, SubjectOnlyFromHeaders) {
    EXPECT_EQ(extract_subject("From: a\r\n\r\nSubject: in body\r\n"), "");
    EXPECT_EQ(extract_subject("From: a\r\nX-Subject: no\r\n\r\n"), "");
    EXPECT_EQ(extract_subject(""), "");
}

TEST(MessageFormat, SubjectTruncatedOnUtf8Boundary) {
    std::string long_subject(199, 'a');
    long_subject += "\xC3\xA9\xC3\xA9";  // 'é' straddles byte 200
    std::string got = extract_subject("Subject: " + long_subject + "\r\n\r\n");
    EXPECT_EQ(got, std::string(199, 'a'));
    EXPECT_EQ(extract_subject("Subject: " + std::string(500, 'x') + "\r\n\r\n").size(), kMaxSubjectBytes);
}
