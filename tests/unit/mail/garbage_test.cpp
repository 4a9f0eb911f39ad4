// A bounded random pass (fixed seed): random bytes, and corpus messages
// mutated byte-wise and structurally, must never crash, hang or read out of
// bounds (the ASan build runs this), and what comes out must be usable,
// SEARCH's decoded text included.
#include <gtest/gtest.h>

#include <iterator>
#include <random>

#include "mail/mime.hpp"
#include "mail/search_text.hpp"
#include "test_util.hpp"
#include "util/utf8.hpp"

using namespace ringpost::mail;
using namespace ringpost::mail::test;

namespace {

const char* const kCorpus[] = {
    "plain.eml",     "alternative.eml",   "mixed_attachment.eml", "nested.eml",    "forwarded.eml",
    "digest.eml",    "bad_boundaries.eml", "unclosed.eml",        "lf_only.eml",   "encoded_words.eml",
    "utf8_header.eml", "group.eml",       "no_separator.eml",
};

// Fragments that steer a mutation into the parser's interesting states.
const std::string_view kTokens[] = {
    "\r\n", "\n", "\r\n\r\n", "--", "--b", "--b--", ":", ";", "\"", "\\", "(", ")", "<", ">", "@", ",", "=",
    "*0*=", "*1=", "''", "%", "Content-Type: multipart/mixed; boundary=b\r\n",
    "Content-Type: message/rfc822\r\n", "Content-Type: multipart/digest; boundary=\"b\"\r\n",
    "Content-Disposition: attachment; filename*0*=utf-8''%41; filename*1=x\r\n", "To: g: a@b, <c@d>;\r\n",
    "\xC3\xBC", std::string_view("\0", 1),
    "=?utf-8?q?", "=?iso-8859-1?B?", "?=", "=C3", "=\r\n", "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n", "Content-Type: text/plain; charset=utf-16\r\n",
    "Content-Type: text/plain; charset=iso-2022-jp\r\n",
};

bool is_valid_utf8(const std::string& s) { return ringpost::utf8::sanitize(s) == s; }

void check(std::string_view m, const MessageSummary& s) {
    // Every range lies inside the message.
    std::vector<const MimePart*> stack{&s.root};
    while (!stack.empty()) {
        const MimePart* p = stack.back();
        stack.pop_back();
        ASSERT_LE(static_cast<size_t>(p->header_offset) + p->header_size, m.size());
        ASSERT_LE(static_cast<size_t>(p->body_offset) + p->body_size, m.size());
        for (const MimePart& c : p->parts) stack.push_back(&c);
    }
    ASSERT_EQ(s.bodystructure.front(), '(');
    ASSERT_EQ(s.envelope.front(), '(');
    auto d = decode_summary(encode_summary(s));
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->bodystructure, s.bodystructure);
    (void)find_part(s.root, {1, 1, 1});
    (void)header_fields(m.substr(0, s.root.header_size), {"subject", "to"}, true);
    // SEARCH's decoded text is valid UTF-8 and bounded, whatever the input.
    std::string_view header = m.substr(0, s.root.header_size);
    ASSERT_TRUE(is_valid_utf8(header_search_text(header)));
    ASSERT_TRUE(is_valid_utf8(address_search_text(header, "to")));
    std::string body = body_search_text(m, s.root, 4096);
    ASSERT_LE(body.size(), 4096u);
    ASSERT_TRUE(is_valid_utf8(body));
}

std::string mutate(std::string m, std::mt19937& rng) {
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
        size_t at = m.empty() ? 0 : rng() % (m.size() + 1);
        switch (rng() % 5) {
            case 0:   // flip a byte
                if (!m.empty()) m[rng() % m.size()] = static_cast<char>(rng());
                break;
            case 1: {   // insert a token
                m.insert(at, kTokens[rng() % std::size(kTokens)]);
                break;
            }
            case 2:   // delete a run
                if (at < m.size()) m.erase(at, rng() % 40);
                break;
            case 3:   // duplicate a run
                if (at < m.size()) m.insert(at, m.substr(at, rng() % 200));
                break;
            case 4:   // truncate
                m.resize(at);
                break;
        }
    }
    return m;
}

}  // namespace

TEST(Garbage, RandomAndMutatedInputsNeverCrash) {
    std::vector<std::string> corpus;
    for (const char* name : kCorpus) corpus.push_back(read_corpus(name));
    std::mt19937 rng(20230807);
    for (int i = 0; i < 2000; ++i) {
        std::string m;
        if (i % 4 == 0) {
            m.resize(rng() % 2000);
            for (char& c : m) c = static_cast<char>(rng());
        } else {
            m = mutate(corpus[rng() % corpus.size()], rng);
        }
        SCOPED_TRACE("input " + std::to_string(i));
        MessageSummary s = summarize_message(m);
        check(m, s);
        if (HasFatalFailure()) return;
    }
}

TEST(Garbage, PathologicalHeaders) {
    std::vector<std::string> inputs = {
        std::string(100000, '('),
        "To: " + std::string(50000, '"'),
        "To: " + std::string(50000, '<'),
        "Content-Type: multipart/mixed; " + std::string(20000, ';') + "boundary=b\r\n\r\n--b\r\n\r\nx",
        "Content-Type: text/plain" + [] {
            std::string p;
            for (int i = 0; i < 2000; ++i) p += "; n*" + std::to_string(i % 1000) + "*=%41";
            return p;
        }() + "\r\n\r\n",
        std::string(100000, '\n'),
        std::string(100000, ' ') + ":\r\n",
        "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n",
    };
    for (const std::string& m : inputs) {
        MessageSummary s = summarize_message(m);
        check(m, s);
    }
}
