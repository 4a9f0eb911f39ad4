// What a DMARC verdict does to a message under [inbound] dmarc and
// dmarc_quarantine (server::dmarc_action): refusal, the Junk mailbox of
// local recipients, or only the tag.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "server/authentication_filter.hpp"

using namespace ringpost;
using server::DmarcAction;
using server::InboundSettings;

namespace {

dmarc::Verdict failure(dmarc::Policy requested, dmarc::Policy disposition) {
    dmarc::Verdict v;
    v.status = dmarc::Status::kFail;
    v.header_from = "example.com";
    v.requested = requested;
    v.disposition = disposition;
    v.sampled = requested == disposition;
    return v;
}

InboundSettings settings(const char* dmarc, const char* quarantine) {
    config::Config c = config::default_config();
    c.inbound.dmarc = dmarc;
    c.inbound.dmarc_quarantine = quarantine;
    return server::inbound_settings(c);
}

}  // namespace

TEST(DmarcAction, TagModeOnlyTags) {
    const InboundSettings tag = settings("tag", "tag");
    EXPECT_FALSE(tag.dmarc_junk);
    for (dmarc::Policy p : {dmarc::Policy::kNone, dmarc::Policy::kQuarantine, dmarc::Policy::kReject})
        EXPECT_EQ(server::dmarc_action(tag, failure(p, p)), DmarcAction::kNone);
    EXPECT_EQ(server::dmarc_action(settings("reject", "tag"), failure(dmarc::Policy::kQuarantine,
                                                                      dmarc::Policy::kQuarantine)),
              DmarcAction::kNone);
}

TEST(DmarcAction, JunkModeFilesQuarantineFailures) {
    const InboundSettings junk = settings("tag", "junk");
    EXPECT_TRUE(junk.dmarc_junk);
    EXPECT_EQ(server::dmarc_action(junk, failure(dmarc::Policy::kQuarantine, dmarc::Policy::kQuarantine)),
              DmarcAction::kJunk);
    // p=none asks for nothing; pct= sampled p=quarantine down to none.
    EXPECT_EQ(server::dmarc_action(junk, failure(dmarc::Policy::kNone, dmarc::Policy::kNone)), DmarcAction::kNone);
    EXPECT_EQ(server::dmarc_action(junk, failure(dmarc::Policy::kQuarantine, dmarc::Policy::kNone)),
              DmarcAction::kNone);
    // A reject that tag mode lets through: the domain asked for at least Junk.
    EXPECT_EQ(server::dmarc_action(junk, failure(dmarc::Policy::kReject, dmarc::Policy::kReject)),
              DmarcAction::kJunk);
}

TEST(DmarcAction, RejectModeRefusesAndFilesWhatPctSampledDown) {
    const InboundSettings both = settings("reject", "junk");
    EXPECT_EQ(server::dmarc_action(both, failure(dmarc::Policy::kReject, dmarc::Policy::kReject)),
              DmarcAction::kReject);
    // RFC 7489 6.6.4: a p=reject failure left out by pct= is quarantined.
    EXPECT_EQ(server::dmarc_action(both, failure(dmarc::Policy::kReject, dmarc::Policy::kQuarantine)),
              DmarcAction::kJunk);
    EXPECT_EQ(server::dmarc_action(settings("reject", "tag"),
                                   failure(dmarc::Policy::kReject, dmarc::Policy::kReject)),
              DmarcAction::kReject);
}

TEST(DmarcAction, OnlyFailuresCount) {
    const InboundSettings both = settings("reject", "junk");
    for (dmarc::Status s : {dmarc::Status::kPass, dmarc::Status::kNone, dmarc::Status::kTempError,
                            dmarc::Status::kPermError}) {
        dmarc::Verdict v = failure(dmarc::Policy::kQuarantine, dmarc::Policy::kQuarantine);
        v.status = s;
        EXPECT_EQ(server::dmarc_action(both, v), DmarcAction::kNone) << dmarc::status_name(s);
    }
    // dmarc = off: no verdict is acted on, whatever dmarc_quarantine says.
    EXPECT_EQ(server::dmarc_action(settings("off", "junk"),
                                   failure(dmarc::Policy::kQuarantine, dmarc::Policy::kQuarantine)),
              DmarcAction::kNone);
}
