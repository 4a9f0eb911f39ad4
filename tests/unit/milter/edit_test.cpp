// A milter's edits applied to a stored message and its envelope.
#include "milter/edit.hpp"

#include <gtest/gtest.h>

#include "milter/protocol.hpp"
#include "recipient.hpp"

namespace ringpost::milter {
namespace {

using test::recipient;

Reply header(char code, uint32_t index, std::string name, std::string value) {
    Reply r;
    r.code = code;
    r.index = index;
    r.name = std::move(name);
    r.value = std::move(value);
    return r;
}

Reply address(char code, std::string a) {
    Reply r;
    r.code = code;
    r.text = std::move(a);
    return r;
}

class EditTest : public ::testing::Test {
protected:
    void SetUp() override { env.recipients.push_back(recipient("b@example.net")); }
    EditSummary apply(const std::vector<Reply>& edits) {
        return apply_edits(edits, env, data, [this](mail::Recipient& r) {
            r.local = r.address.ends_with("@example.org");
            return !r.address.starts_with("nobody@");
        });
    }
    mail::Envelope env;
    std::string data = "Received: by mx\r\nSubject: one\r\nX-Tag: a\r\nX-Tag: b\r\n\r\nbody\r\n";
};

TEST_F(EditTest, AddAppendsToTheHeaderSection) {
    EditSummary s = apply({header(rep::kAddHeader, 0, "X-Spam-Status", "No, score=0.1")});
    EXPECT_EQ(s.headers, 1u);
    EXPECT_EQ(data, "Received: by mx\r\nSubject: one\r\nX-Tag: a\r\nX-Tag: b\r\nX-Spam-Status: No, score=0.1\r\n\r\nbody\r\n");
    EXPECT_EQ(env.body_size, data.size());
}

TEST_F(EditTest, InsertCountsEveryField) {
    apply({header(rep::kInsertHeader, 0, "X-First", "1"), header(rep::kInsertHeader, 2, "X-Third", "3"),
           header(rep::kInsertHeader, 99, "X-Last", "9")});
    EXPECT_EQ(data, "X-First: 1\r\nReceived: by mx\r\nX-Third: 3\r\nSubject: one\r\nX-Tag: a\r\nX-Tag: b\r\n"
                    "X-Last: 9\r\n\r\nbody\r\n");
}

TEST_F(EditTest, ChangeNamesTheNthOccurrence) {
    apply({header(rep::kChangeHeader, 2, "x-tag", "B2"), header(rep::kChangeHeader, 1, "Subject", "")});
    EXPECT_EQ(data, "Received: by mx\r\nX-Tag: a\r\nx-tag: B2\r\n\r\nbody\r\n");
}

TEST_F(EditTest, ChangeOfAMissingFieldAddsIt) {
    apply({header(rep::kChangeHeader, 1, "X-New", "v"), header(rep::kChangeHeader, 3, "X-Tag", "")});
    EXPECT_EQ(data, "Received: by mx\r\nSubject: one\r\nX-Tag: a\r\nX-Tag: b\r\nX-New: v\r\n\r\nbody\r\n");
}

TEST_F(EditTest, FoldedValuesStayOneField) {
    EXPECT_EQ(format_field("X-A", "one\n\ttwo"), "X-A: one\r\n\ttwo\r\n");
    // A line break not followed by a blank would start a field of its own.
    EXPECT_EQ(format_field("X-A", "one\r\nBcc: victim@example.org"), "X-A: one\r\n\tBcc: victim@example.org\r\n");
    EXPECT_EQ(format_field("X-A", "v\n"), "X-A: v\r\n");
}

TEST_F(EditTest, ReplacedBodyJoinsChunksWithCrlf) {
    Reply a = address(rep::kReplaceBody, "new\n");
    Reply b = address(rep::kReplaceBody, "body\r\n");
    EditSummary s = apply({a, b});
    EXPECT_TRUE(s.body_replaced);
    EXPECT_EQ(data, "Received: by mx\r\nSubject: one\r\nX-Tag: a\r\nX-Tag: b\r\n\r\nnew\r\nbody\r\n");
    EXPECT_EQ(env.body_size, data.size());
}

TEST_F(EditTest, RecipientsAddedCheckedAndDeleted) {
    EditSummary s = apply({address(rep::kAddRcpt, "archive@example.org"), address(rep::kAddRcpt, "nobody@example.org"),
                           address(rep::kAddRcpt, "B@example.net"), address(rep::kDeleteRcpt, "B@EXAMPLE.NET")});
    EXPECT_EQ(s.rcpts_added, 1u);
    EXPECT_EQ(s.rcpts_deleted, 1u);
    ASSERT_EQ(s.rcpts_refused.size(), 1u);
    EXPECT_EQ(s.rcpts_refused[0], "nobody@example.org");
    ASSERT_EQ(env.recipients.size(), 1u);
    EXPECT_EQ(env.recipients[0].address, "archive@example.org");
    EXPECT_TRUE(env.recipients[0].local);
}

TEST_F(EditTest, SenderChange) {
    EditSummary s = apply({address(rep::kChangeFrom, "bounces@example.org")});
    EXPECT_TRUE(s.sender_changed);
    EXPECT_EQ(env.sender, "bounces@example.org");
    const std::string before = "Received: by mx\r\nSubject: one\r\nX-Tag: a\r\nX-Tag: b\r\n\r\nbody\r\n";
    EXPECT_EQ(data, before);   // no header edit: the bytes are untouched
}

}  // namespace
}  // namespace ringpost::milter
