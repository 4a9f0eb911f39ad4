// The protocol settings built from the configuration: every key that the
// SMTP, POP3 and IMAP front ends use arrives, at a non-default value, in
// the struct the front end is given.
#include <gtest/gtest.h>

#include "config/protocol_configs.hpp"
#include "every_key.hpp"

namespace ringpost::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ProtocolConfigs : public ::testing::Test {
protected:
    Config c = parse_config(test::kEveryKey, "every.toml");
};

TEST_F(ProtocolConfigs, Smtp) {
    const smtp::SessionConfig s = smtp_session_config(c);
    EXPECT_EQ(s.hostname, "relay.example.org");
    EXPECT_TRUE(s.allow_plaintext_auth);
    EXPECT_FALSE(s.require_sender_match);
    EXPECT_EQ(s.limits.max_message_size, 1000u);
    EXPECT_EQ(s.limits.max_recipients, 5u);
    EXPECT_EQ(s.limits.max_command_line, 600u);
    EXPECT_EQ(s.limits.max_data_line, 2000u);
    EXPECT_EQ(s.limits.soft_error_limit, 3u);
    EXPECT_EQ(s.limits.hard_error_limit, 8u);
    EXPECT_EQ(s.limits.junk_command_limit, 50u);
    EXPECT_EQ(s.limits.error_delay, milliseconds(250));
    // Per connection, by the driver: not from the configuration.
    EXPECT_FALSE(s.advertise_starttls);
    EXPECT_FALSE(s.auth_available);
    EXPECT_FALSE(s.submission);

    const smtp::Timeouts t = smtp_timeouts(c);
    EXPECT_EQ(t.command, seconds(5400));
    EXPECT_EQ(t.data, seconds(90));
    EXPECT_EQ(t.min_data_rate, 0u);
    EXPECT_EQ(t.send, seconds(5400));
}

TEST_F(ProtocolConfigs, SmtpDefaultsAreTheProtocolsOwn) {
    const Config d = default_config();
    const smtp::Limits ours = smtp_session_config(d).limits, theirs;
    EXPECT_EQ(ours.max_message_size, theirs.max_message_size);
    EXPECT_EQ(ours.max_recipients, theirs.max_recipients);
    EXPECT_EQ(ours.hard_error_limit, theirs.hard_error_limit);
    EXPECT_EQ(ours.error_delay, theirs.error_delay);
    EXPECT_EQ(smtp_timeouts(d).command, smtp::Timeouts{}.command);
    EXPECT_EQ(smtp_timeouts(d).data, smtp::Timeouts{}.data);
}

TEST_F(ProtocolConfigs, Pop3) {
    const pop3::SessionConfig s = pop3_session_config(c);
    EXPECT_EQ(s.limits.max_bad_commands, 9u);
    EXPECT_EQ(s.limits.max_auth_failures, 2u);
    EXPECT_FALSE(s.plaintext_allowed);
    EXPECT_EQ(pop3_timeouts(c).idle, seconds(15 * 60));
}

TEST_F(ProtocolConfigs, Imap) {
    const imap::SessionConfig s = imap_session_config(c);
    EXPECT_EQ(s.hostname, "relay.example.org");
    EXPECT_FALSE(s.plaintext_allowed);   // over TLS or from loopback only
    EXPECT_EQ(s.max_bad_commands, 13u);
    EXPECT_EQ(s.command_time_limit, milliseconds(0));
    EXPECT_EQ(imap_timeouts(c).idle, seconds(45 * 60));
    EXPECT_EQ(imap_session_config(default_config()).command_time_limit, seconds(30));
}

}  // namespace
}  // namespace ringpost::config
