// The milter wire codec, sans I/O: commands appended to an output buffer,
// and replies cut out of an input buffer and decoded. A reply is checked
// here once (lengths, NUL terminators, the SMTP reply a milter gives), so
// that everything after it works on well-formed values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace ringpost::milter {

// ---- commands (MTA -> milter); each appends one packet to `out`.
using Macros = std::vector<std::pair<std::string, std::string>>;

void put_packet(std::string& out, char code, std::string_view payload);
void put_option_negotiation(std::string& out, uint32_t version, uint32_t actions, uint32_t protocol);
// SMFIC_MACRO for the command `for_code` (sent right before it).
void put_macros(std::string& out, char for_code, const Macros& macros);
// The client: its host name (or "[ip]"), and its address ('4'/'6' by the
// form of `ip`; 'U' unknown when empty).
void put_connect(std::string& out, std::string_view hostname, std::string_view ip, uint16_t port);
void put_helo(std::string& out, std::string_view helo);
// MAIL and RCPT: the address in angle brackets, then ESMTP arguments.
void put_mail(std::string& out, std::string_view sender, const std::vector<std::string>& args);
void put_rcpt(std::string& out, std::string_view rcpt, const std::vector<std::string>& args);
void put_header(std::string& out, std::string_view name, std::string_view value);
// No payload: SMFIC_DATA, EOH, end of body, ABORT, QUIT, QUIT_NC.
void put_bare(std::string& out, char code);
void put_body(std::string& out, std::string_view chunk);

// ---- replies (milter -> MTA).
struct Reply {
    char code = 0;              // rep::*
    // Option negotiation.
    uint32_t version = 0, actions = 0, protocol = 0;
    // Header edits: the 1-based occurrence (change) or position (insert).
    uint32_t index = 0;
    std::string name;
    std::string value;
    // The recipient or sender (add/delete rcpt, change from), the
    // quarantine reason, a body chunk, or the reply of SMFIR_REPLYCODE
    // ("550 5.7.1 text", lines joined by CRLF).
    std::string text;
    std::string args;           // ESMTP arguments of add rcpt / change from
};

// An SMTP reply a milter chose (SMFIR_REPLYCODE), split.
struct SmtpReply {
    uint16_t code = 0;
    std::string enhanced;       // "5.7.1", or "" when it gave none
    std::string text;           // the lines' text joined by " / "
};
// "554 5.7.1 Gtube pattern" (lines "550-..."/"550 ..." joined by CRLF):
// 4xx or 5xx, the same code on every line, an enhanced code of the same
// class when one is given.
Result<SmtpReply> parse_smtp_reply(std::string_view text);

constexpr size_t kMaxPacket = 1024 * 1024 + 5;   // SMFIP_MDS_1M's chunk and more: no milter sends larger

enum class Parse { kNeedMore, kReply, kError };
// Takes one reply from the front of `input`: kReply sets `out` and
// `consumed`; kNeedMore consumes nothing; kError sets `error` (a packet
// too long, too short, an unknown code or a malformed payload), and the
// connection is then out of step for good.
Parse next_reply(std::string_view input, size_t& consumed, Reply& out, std::string& error);

}  // namespace ringpost::milter
