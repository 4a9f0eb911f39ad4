// The Sendmail milter protocol, version 6 (libmilter's mfdef.h): the command
// and reply codes, the action bits a milter asks for and the protocol bits
// by which it leaves out steps (SMFIP_NO*) or replies (SMFIP_NR_*). Every
// packet on the wire is a 32-bit big-endian length (of what follows), one
// code byte and the payload.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringpost::milter {

constexpr uint32_t kVersion = 6;
// A body is sent in chunks of at most this (libmilter's MILTER_CHUNK_SIZE).
constexpr size_t kBodyChunk = 65535;

// MTA -> milter (SMFIC_*).
namespace cmd {
constexpr char kAbort = 'A';
constexpr char kBody = 'B';
constexpr char kConnect = 'C';
constexpr char kMacro = 'D';
constexpr char kEndOfBody = 'E';
constexpr char kHelo = 'H';
constexpr char kQuitNewConnection = 'K';   // SMFIC_QUIT_NC: another SMTP connection follows
constexpr char kHeader = 'L';
constexpr char kMail = 'M';
constexpr char kEndOfHeaders = 'N';
constexpr char kOptionNegotiation = 'O';
constexpr char kQuit = 'Q';
constexpr char kRcpt = 'R';
constexpr char kData = 'T';
}  // namespace cmd

// Milter -> MTA (SMFIR_*).
namespace rep {
constexpr char kAddRcpt = '+';
constexpr char kDeleteRcpt = '-';
constexpr char kAddRcptWithArgs = '2';
constexpr char kShutdown = '4';
constexpr char kAccept = 'a';
constexpr char kReplaceBody = 'b';
constexpr char kContinue = 'c';
constexpr char kDiscard = 'd';
constexpr char kChangeFrom = 'e';
constexpr char kConnectionFailure = 'f';
constexpr char kAddHeader = 'h';
constexpr char kInsertHeader = 'i';
constexpr char kSetSymbolList = 'l';
constexpr char kChangeHeader = 'm';
constexpr char kProgress = 'p';
constexpr char kQuarantine = 'q';
constexpr char kReject = 'r';
constexpr char kSkip = 's';
constexpr char kTempfail = 't';
constexpr char kReplyCode = 'y';
constexpr char kOptionNegotiation = 'O';
}  // namespace rep

// What a milter may do to a message (SMFIF_*): we offer all of these.
enum ActionBits : uint32_t {
    kAddHeaders = 0x01,
    kChangeBody = 0x02,
    kAddRcpts = 0x04,
    kDeleteRcpts = 0x08,
    kChangeHeaders = 0x10,
    kQuarantineMessage = 0x20,
    kChangeSender = 0x40,
    kAddRcptsWithArgs = 0x80,
    kSetSymbolLists = 0x100,
};
constexpr uint32_t kAllActions = 0x1ff;

// Steps a milter does not want, and steps it does not answer (SMFIP_*).
enum ProtocolBits : uint32_t {
    kNoConnect = 0x01,
    kNoHelo = 0x02,
    kNoMail = 0x04,
    kNoRcpt = 0x08,
    kNoBody = 0x10,
    kNoHeaders = 0x20,
    kNoEndOfHeaders = 0x40,
    kNoReplyHeader = 0x80,
    kNoUnknown = 0x100,
    kNoData = 0x200,
    kSkip = 0x400,            // the MTA understands SMFIR_SKIP
    kRcptRejected = 0x800,    // send rejected recipients too (never: we replay accepted ones)
    kNoReplyConnect = 0x1000,
    kNoReplyHelo = 0x2000,
    kNoReplyMail = 0x4000,
    kNoReplyRcpt = 0x8000,
    kNoReplyData = 0x10000,
    kNoReplyUnknown = 0x20000,
    kNoReplyEndOfHeaders = 0x40000,
    kNoReplyBody = 0x80000,
    kHeaderLeadingSpace = 0x100000,
};
// What ringpost offers: every step may be left out or left unanswered, and
// SMFIR_SKIP is understood; no leading-space headers, no big chunks.
constexpr uint32_t kOfferedProtocol = 0xfffff & ~uint32_t{kRcptRejected};

}  // namespace ringpost::milter
