// 8-bit to 7-bit conversion for servers without 8BITMIME,
// src/mail/eight_bit_downgrade.hpp. Every converted message is checked the
// way a receiver would see it: parsed again with summarize_message, it has
// the same MIME tree, each leaf's body decodes (quoted-printable, by a
// strict decoder here) to the original part's bytes, every line is 7-bit
// and within RFC 2045's 76 characters, and the header fields other than
// Content-Transfer-Encoding are the original ones, in order.
#include "mail/eight_bit_downgrade.hpp"

#include <gtest/gtest.h>

#include <random>

#include "mail/header_block.hpp"
#include "mail/mime.hpp"
#include "test_util.hpp"
#include "util/ascii.hpp"

using namespace ringpost::mail;
using ringpost::mail::test::crlf;
using Status = EightBitDowngrade::Status;

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;   // RFC 2045 6.7: upper-case hex only
}

// A strict RFC 2045 6.7 decoder: fails the test on anything an encoder
// must not produce (8-bit or control bytes, lower-case or broken escapes,
// a blank before a line break, lines over 76 characters).
std::string decode_qp(std::string_view in) {
    std::string out;
    size_t line_start = 0;
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '\r') {
            EXPECT_TRUE(i + 1 < in.size() && in[i + 1] == '\n') << "bare CR at " << i;
            EXPECT_LE(i - line_start, 76u) << "line too long: " << in.substr(line_start, i - line_start);
            if (i > line_start) {
                EXPECT_NE(in[i - 1], ' ') << "unencoded trailing blank at " << i;
                EXPECT_NE(in[i - 1], '\t') << "unencoded trailing tab at " << i;
            }
            out += "\r\n";
            ++i;
            line_start = i + 1;
        } else if (c == '=') {
            if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {
                EXPECT_LE(i + 1 - line_start, 76u) << "soft-broken line too long at " << i;
                i += 2;
                line_start = i + 1;
                continue;
            }
            const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
            const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
            EXPECT_TRUE(hi >= 0 && lo >= 0) << "bad escape at " << i << ": " << in.substr(i, 3);
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            const auto u = static_cast<unsigned char>(c);
            EXPECT_TRUE((u >= 33 && u <= 126) || u == ' ' || u == '\t') << "raw byte " << int(u) << " at " << i;
            out += c;
        }
    }
    EXPECT_LE(in.size() - line_start, 76u) << "last line too long";
    return out;
}

std::string qp(std::string_view body) {
    std::string out;
    encode_quoted_printable(body, out);
    return out;
}

std::string_view bytes(std::string_view msg, uint32_t offset, uint32_t size) { return msg.substr(offset, size); }

// The header fields of a header block, without Content-Transfer-Encoding.
std::vector<std::string> fields_without_cte(std::string_view header) {
    std::vector<std::string> out;
    HeaderReader reader(header);
    HeaderField f;
    while (reader.next(f))
        if (!ringpost::util::iequals(f.name, "content-transfer-encoding")) out.emplace_back(f.raw);
    return out;
}

// The converted tree `b` (in `out`) matches the original tree `a` (in `in`).
void expect_same_content(std::string_view in, const MimePart& a, std::string_view out, const MimePart& b,
                         const std::string& where) {
    SCOPED_TRACE("part " + where + " " + a.type + "/" + a.subtype);
    EXPECT_EQ(b.type, a.type);
    EXPECT_EQ(b.subtype, a.subtype);
    ASSERT_EQ(b.parts.size(), a.parts.size());
    // The original fields survive in order; new ones only add to them.
    std::vector<std::string> before = fields_without_cte(bytes(in, a.header_offset, a.header_size));
    std::vector<std::string> after = fields_without_cte(bytes(out, b.header_offset, b.header_size));
    size_t k = 0;
    for (const std::string& f : after)
        if (k < before.size() && f == before[k]) ++k;
    EXPECT_EQ(k, before.size()) << "header fields lost or changed:\n" << bytes(out, b.header_offset, b.header_size);

    std::string_view original = bytes(in, a.body_offset, a.body_size);
    std::string_view converted = bytes(out, b.body_offset, b.body_size);
    if (!a.parts.empty()) {
        EXPECT_TRUE(b.encoding == "7bit") << b.encoding;
        for (size_t i = 0; i < a.parts.size(); ++i)
            expect_same_content(in, a.parts[i], out, b.parts[i], where + "." + std::to_string(i + 1));
    } else if (has_8bit(original)) {
        EXPECT_EQ(b.encoding, "quoted-printable");
        EXPECT_EQ(decode_qp(converted), original);
    } else {
        EXPECT_EQ(converted, original) << "a 7-bit part is copied as it is";
        EXPECT_EQ(b.encoding, a.encoding);
    }
}

// Converts `msg` and checks it as a receiver would; returns the result.
std::string convert_and_check(std::string_view msg, bool utf8_headers = false) {
    EightBitDowngrade r = downgrade_8bit(msg, utf8_headers);
    EXPECT_EQ(r.status, Status::kConverted) << r.reason;
    EXPECT_TRUE(r.reason.empty());
    if (!utf8_headers) {
        EXPECT_FALSE(has_8bit(r.message)) << r.message;
    }
    // Lines end in CRLF and stay within 998 characters, as in a stored message.
    auto bare_lf = [](std::string_view m) {
        for (size_t i = 0; i < m.size(); ++i)
            if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return true;
        return false;
    };
    if (!bare_lf(msg)) {
        size_t line_start = 0;
        for (size_t i = 0; i < r.message.size(); ++i) {
            if (r.message[i] != '\n') continue;
            EXPECT_EQ(r.message[i - 1], '\r') << "bare LF at " << i;
            EXPECT_LE(i - 1 - line_start, 998u);
            line_start = i + 1;
        }
    }
    MessageSummary a = summarize_message(msg);
    MessageSummary b = summarize_message(r.message);
    expect_same_content(msg, a.root, r.message, b.root, "root");
    return r.message;
}

std::string refused(std::string_view msg, bool utf8_headers = false) {
    EightBitDowngrade r = downgrade_8bit(msg, utf8_headers);
    EXPECT_EQ(r.status, Status::kRefused) << r.message;
    EXPECT_TRUE(r.message.empty());
    EXPECT_FALSE(r.reason.empty());
    return r.reason;
}

const std::string kLatin1 = "gr\xfc\xdf"
                            "e, \xe9t\xe9";
const std::string kUtf8 = "Gr\xc3\xbc\xc3\x9f"
                          "e, \xe6\x97\xa5\xe6\x9c\xac, \xf0\x9f\x99\x82";

}  // namespace

// --- quoted-printable -------------------------------------------------------

TEST(QuotedPrintable, EscapesWhatIsNotPlainAscii) {
    EXPECT_EQ(qp("a=b"), "a=3Db");
    EXPECT_EQ(qp("caf\xc3\xa9"), "caf=C3=A9");
    EXPECT_EQ(qp(std::string("nul\0del\x7f", 8)), "nul=00del=7F");
    EXPECT_EQ(qp("tab\there"), "tab\there");
    EXPECT_EQ(qp(""), "");
}

TEST(QuotedPrintable, CrlfStaysALineBreakAndBareCrOrLfIsData) {
    EXPECT_EQ(qp("one\r\ntwo\r\n"), "one\r\ntwo\r\n");
    EXPECT_EQ(qp("\r\n\r\n"), "\r\n\r\n");
    EXPECT_EQ(qp("a\nb\rc"), "a=0Ab=0Dc");
    EXPECT_EQ(qp("end\r"), "end=0D");
}

TEST(QuotedPrintable, BlanksBeforeALineBreakOrTheEndAreEscaped) {
    EXPECT_EQ(qp("a \r\nb\t\r\nc "), "a=20\r\nb=09\r\nc=20");
    EXPECT_EQ(qp("a  b"), "a  b");
    EXPECT_EQ(qp(" \r\n"), "=20\r\n");
    EXPECT_EQ(qp("x \n"), "x =0A");   // a bare LF is no line break: the blank is not trailing
}

TEST(QuotedPrintable, DotAtLineStartIsLeftForDotStuffing) {
    EXPECT_EQ(qp(".\r\n..x\r\n"), ".\r\n..x\r\n");
}

TEST(QuotedPrintable, NoLineStartsWithTwoDashes) {
    EXPECT_EQ(qp("--b\r\n-- \r\nx--\r\n-x"), "=2D-b\r\n=2D-=20\r\nx--\r\n-x");
    // Nor the continuation of a soft line break.
    EXPECT_EQ(qp(std::string(75, 'x') + "--b"), std::string(75, 'x') + "=\r\n=2D-b");
}

TEST(QuotedPrintable, LongLinesGetSoftBreaksWithin76) {
    std::string line(200, 'x');
    std::string out = qp(line + "\r\n");
    EXPECT_EQ(out.substr(0, 76), std::string(75, 'x') + "=");
    EXPECT_EQ(decode_qp(out), line + "\r\n");
    // An escape is never split by a soft break.
    std::string escapes(100, '\xff');
    out = qp(escapes);
    std::string first_line;
    for (int i = 0; i < 25; ++i) first_line += "=FF";
    EXPECT_EQ(out.substr(0, 78), first_line + "=\r\n");
    EXPECT_EQ(decode_qp(out), escapes);
    // A line of exactly 75 characters needs no soft break.
    EXPECT_EQ(qp(std::string(75, 'y') + "\r\n"), std::string(75, 'y') + "\r\n");
    EXPECT_EQ(qp(std::string(76, 'y')), std::string(75, 'y') + "=\r\ny");
}

TEST(QuotedPrintable, RandomBytesRoundTrip) {
    std::mt19937 rng(20261206);
    const std::string alphabet = std::string("ab \t=.-\r\n\r\n\x80\xff\xc3\xa9", 16);
    for (int round = 0; round < 300; ++round) {
        std::string body;
        const size_t n = rng() % 400;
        for (size_t i = 0; i < n; ++i)
            body += (rng() % 3 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
        SCOPED_TRACE("round " + std::to_string(round));
        EXPECT_EQ(decode_qp(qp(body)), body);
    }
}

TEST(Has8Bit, FindsAHighByteAtEveryPosition) {
    for (size_t size = 0; size <= 20; ++size) {
        std::string s(size, 'a');
        EXPECT_FALSE(has_8bit(s));
        for (size_t i = 0; i < size; ++i) {
            s[i] = '\x80';
            EXPECT_TRUE(has_8bit(s)) << size << " " << i;
            s[i] = '\x7f';
            EXPECT_FALSE(has_8bit(s)) << size << " " << i;
            s[i] = 'a';
        }
    }
}

// --- whole messages ---------------------------------------------------------

TEST(EightBitDowngrade, SevenBitMessageIsUnchanged) {
    EightBitDowngrade r = downgrade_8bit(crlf("Subject: plain\nContent-Transfer-Encoding: 8bit\n\nascii only\n"), false);
    EXPECT_EQ(r.status, Status::kUnchanged);
    EXPECT_TRUE(r.message.empty());
}

TEST(EightBitDowngrade, TextPartBecomesQuotedPrintableHeadersUntouched) {
    std::string msg = crlf("From: a@example.org\nSubject: latin\nMIME-Version: 1.0\n"
                           "Content-Transfer-Encoding: 8bit\n"
                           "Content-Type: text/plain;\n charset=iso-8859-1\n\n") +
                      kLatin1 + crlf("\ntrailing blank \n= sign\n.dot\n");
    std::string out = convert_and_check(msg);
    EXPECT_EQ(out, crlf("From: a@example.org\nSubject: latin\nMIME-Version: 1.0\n"
                        "Content-Type: text/plain;\n charset=iso-8859-1\n"
                        "Content-Transfer-Encoding: quoted-printable\n\n"
                        "gr=FC=DFe, =E9t=E9\ntrailing blank=20\n=3D sign\n.dot\n"));
}

TEST(EightBitDowngrade, EveryLabelOfTheSameFieldGoes) {
    std::string msg = crlf("MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\nX: y\n"
                           "Content-transfer-encoding: binary\n\n") + kUtf8;
    std::string out = convert_and_check(msg);
    EXPECT_EQ(out.find("Encoding: 8bit"), std::string::npos) << out;
    EXPECT_EQ(out.find("Encoding: binary"), std::string::npos) << out;
}

TEST(EightBitDowngrade, NonMimeMessageGetsMimeFieldsForItsCharset) {
    // RFC 1428: the bytes are in no known charset; us-ascii (the default)
    // would be false.
    std::string msg = crlf("From: a@example.org\nSubject: old style\n\n") + kLatin1 + "\r\n";
    std::string out = convert_and_check(msg);
    EXPECT_EQ(out, crlf("From: a@example.org\nSubject: old style\nMIME-Version: 1.0\n"
                        "Content-Type: text/plain; charset=unknown-8bit\n"
                        "Content-Transfer-Encoding: quoted-printable\n\n"
                        "gr=FC=DFe, =E9t=E9\n"));
}

TEST(EightBitDowngrade, NestedMultipartOnlyEightBitLeavesChange) {
    std::string msg = crlf("From: a@example.org\nMIME-Version: 1.0\n"
                           "Content-Type: multipart/mixed; boundary=\"outer\"\n"
                           "Content-Transfer-Encoding: 8bit\n\n"
                           "This is a multi-part message.\n"
                           "--outer\n"
                           "Content-Type: multipart/alternative; boundary=inner\n\n"
                           "--inner\n"
                           "Content-Type: text/plain; charset=utf-8\n"
                           "Content-Transfer-Encoding: 8bit\n\n") +
                      kUtf8 + crlf("\n--inner\nContent-Type: text/html; charset=utf-8\n\n<p>") + kUtf8 +
                      std::string(120, 'h') +
                      crlf("</p>\n--inner--\n"
                           "--outer\n"
                           "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
                           "iVBORw0KGgo=\n"
                           "--outer\n"
                           "Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n"
                           "labelled 8bit, but plain ascii\n"
                           "--outer--\n");
    std::string out = convert_and_check(msg);
    // The 7-bit parts and every boundary line are byte for byte the same.
    EXPECT_NE(out.find(crlf("--outer\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
                            "iVBORw0KGgo=\n--outer\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n"
                            "labelled 8bit, but plain ascii\n--outer--\n")),
              std::string::npos)
        << out;
    EXPECT_NE(out.find(crlf("Content-Type: multipart/mixed; boundary=\"outer\"\nContent-Transfer-Encoding: 7bit\n\n")),
              std::string::npos)
        << out;
    // The inner multipart had no label and gets none.
    EXPECT_NE(out.find(crlf("Content-Type: multipart/alternative; boundary=inner\n\n--inner\n")), std::string::npos)
        << out;
}

TEST(EightBitDowngrade, EncapsulatedMessageIsOpenedAndRelabelled7bit) {
    std::string inner = crlf("From: b@example.org\nSubject: forwarded\nMIME-Version: 1.0\n"
                             "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n") +
                        kUtf8 + "\r\n";
    std::string msg = crlf("From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
                           "--b\nContent-Type: text/plain\n\nsee attached\n"
                           "--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\n") +
                      inner + crlf("--b--\n");
    std::string out = convert_and_check(msg);
    EXPECT_NE(out.find(crlf("Content-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n\n"
                            "From: b@example.org\nSubject: forwarded\nMIME-Version: 1.0\n"
                            "Content-Type: text/plain; charset=utf-8\n"
                            "Content-Transfer-Encoding: quoted-printable\n\n")),
              std::string::npos)
        << out;
}

TEST(EightBitDowngrade, EncapsulatedNonMimeMessageGetsMimeVersion) {
    std::string msg = crlf("MIME-Version: 1.0\nContent-Type: message/rfc822\n\nSubject: old\n\n") + kLatin1;
    std::string out = convert_and_check(msg);
    EXPECT_NE(out.find(crlf("Subject: old\nMIME-Version: 1.0\nContent-Type: text/plain; charset=unknown-8bit\n")),
              std::string::npos)
        << out;
}

TEST(EightBitDowngrade, DigestPartsDefaultToMessages) {
    std::string msg = crlf("MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=d\n\n"
                           "--d\n\nSubject: one\nContent-Type: text/plain; charset=utf-8\n\n") +
                      kUtf8 + crlf("\n--d--\n");
    convert_and_check(msg);
}

TEST(EightBitDowngrade, PartLabelled7bitWithEightBitBytesIsConvertedToo) {
    std::string msg = crlf("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                           "Content-Transfer-Encoding: 7bit\n\n") + kUtf8;
    std::string out = convert_and_check(msg);
    EXPECT_NE(out.find("Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC"), std::string::npos) << out;
}

TEST(EightBitDowngrade, LongLinesAndBareLineEndsRoundTrip) {
    std::string body;
    for (int i = 0; i < 40; ++i) body += kUtf8 + " " + std::string(static_cast<size_t>(i) * 7, 'w') + " \r\n";
    body += "bare\nLF and bare\rCR\r\n" + std::string(2000, '\xe9');
    convert_and_check(crlf("Content-Type: text/plain; charset=utf-8\nMIME-Version: 1.0\n\n") + body);
}

TEST(EightBitDowngrade, EightBitPreambleAndEpilogueAreMadeSevenBit) {
    std::string msg = crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n") + kLatin1 +
                      crlf("\n--b\n\nascii part\n--b--\n") + kLatin1 + "\r\n";
    std::string out = convert_and_check(msg);
    EXPECT_NE(out.find(crlf("\n\ngr??e, ?t?\n--b\n\nascii part\n--b--\ngr??e, ?t?\n")), std::string::npos) << out;
}

TEST(EightBitDowngrade, Utf8HeadersStayWhenTheServerTakesThem) {
    std::string msg = crlf("Subject: ") + kUtf8 + crlf("\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n") +
                      kUtf8;
    std::string out = convert_and_check(msg, true);
    EXPECT_EQ(out.substr(0, 9 + kUtf8.size() + 2), "Subject: " + kUtf8 + "\r\n");
}

TEST(EightBitDowngrade, ASoftBreakNeverMakesABoundaryLine) {
    std::string msg = crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n") + kLatin1 +
                      std::string(75 - 18, 'x') + crlf("--b\n--b\n\nsecond\n--b--\n");
    std::string out = convert_and_check(msg);
    EXPECT_NE(out.find("=\r\n=2D-b\r\n--b\r\n"), std::string::npos) << out;
}

// Every message of the corpus, with 8-bit bytes put in at random places:
// converted (and then checked like every conversion here) or refused,
// never anything else.
TEST(EightBitDowngrade, MutatedCorpusConvertsOrIsRefused) {
    std::mt19937 rng(61526152);
    int converted = 0, refusals = 0;
    for (const char* name : {"alternative.eml", "bad_boundaries.eml", "digest.eml", "encoded_words.eml",
                             "forwarded.eml", "group.eml", "lf_only.eml", "mixed_attachment.eml", "nested.eml",
                             "no_separator.eml", "plain.eml", "unclosed.eml", "utf8_header.eml"}) {
        const std::string original = ringpost::mail::test::read_corpus(name);
        for (int round = 0; round < 30; ++round) {
            std::string msg = original;
            for (int k = 0; k < 1 + round % 5; ++k) {
                size_t at = rng() % (msg.size() + 1);
                if (at > 0 && at < msg.size() && msg[at] == '\n') --at;   // keep CRLF together
                msg.insert(at, 1, static_cast<char>(0x80 + rng() % 128));
            }
            const bool utf8_headers = round % 2 == 1;
            SCOPED_TRACE(std::string(name) + " round " + std::to_string(round));
            EightBitDowngrade r = downgrade_8bit(msg, utf8_headers);
            ASSERT_NE(r.status, Status::kUnchanged);
            if (r.status == Status::kRefused) {
                EXPECT_FALSE(r.reason.empty());
                ++refusals;
            } else {
                convert_and_check(msg, utf8_headers);
                ++converted;
            }
        }
    }
    EXPECT_GT(converted, 100);   // most random spots are in a body
    EXPECT_GT(refusals, 10);     // and some in a header
}

// --- what cannot be converted (5.6.3) ---------------------------------------

TEST(EightBitDowngrade, EightBitHeaderWithoutSmtpUtf8IsRefused) {
    std::string msg = crlf("Subject: ") + kUtf8 + crlf("\n\nascii body\n");
    EXPECT_NE(refused(msg).find("header"), std::string::npos);
    // In a part's header too.
    msg = crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
               "Content-Type: text/plain; name=\"") +
          kLatin1 + crlf("\"\n\n") + kLatin1 + crlf("\n--b--\n");
    EXPECT_NE(refused(msg).find("header"), std::string::npos);
}

TEST(EightBitDowngrade, EightBitInsideAnEncodedPartIsRefused) {
    EXPECT_NE(refused(crlf("MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\n") + kLatin1).find("base64"),
              std::string::npos);
    EXPECT_NE(refused(crlf("MIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n") + kLatin1)
                  .find("quoted-printable"),
              std::string::npos);
    EXPECT_NE(refused(crlf("MIME-Version: 1.0\nContent-Transfer-Encoding: x-uuencode\n\n") + kLatin1)
                  .find("x-uuencode"),
              std::string::npos);
}

TEST(EightBitDowngrade, ReasonsQuoteLabelsShortAndPrintable) {
    std::string label = "x-\xc3\xa9" + std::string(100, 'y');
    std::string reason = refused(crlf("MIME-Version: 1.0\nContent-Transfer-Encoding: " + label + "\n\n") + kLatin1, true);
    EXPECT_EQ(reason, "8-bit data in a part labelled x-??" + std::string(36, 'y') + "...");
}

TEST(EightBitDowngrade, UnconvertibleContainersAreRefused) {
    EXPECT_NE(refused(crlf("MIME-Version: 1.0\nContent-Type: message/partial; id=x; number=1\n\n") + kLatin1)
                  .find("message/partial"),
              std::string::npos);
    EXPECT_NE(refused(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=never\n\n") + kLatin1)
                  .find("boundary"),
              std::string::npos);
    EXPECT_NE(refused(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n"
                           "Content-Transfer-Encoding: base64\n\n--b\n\n") +
                      kLatin1)
                  .find("base64"),
              std::string::npos);
}

TEST(EightBitDowngrade, NestingBeyondTheParserLimitIsRefused) {
    std::string msg;
    for (uint32_t i = 0; i <= kMaxMimeDepth + 1; ++i) msg += crlf("Content-Type: message/rfc822\n\n");
    msg += crlf("Subject: deep\n\n") + kLatin1;
    EXPECT_NE(refused(msg).find("deeper"), std::string::npos);
}
