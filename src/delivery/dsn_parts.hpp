// The parts of a notification, each built by its own file and assembled by
// dsn.cpp: the human-readable text (dsn_human.cpp) and the machine-readable
// delivery-status fields (dsn_status.cpp). Internal to src/delivery.
#pragma once

#include <string>

#include "delivery/dsn.hpp"
#include "delivery/dsn_original.hpp"

namespace ringpost::delivery::dsn_parts {

// What the notification is mainly about; a report mixing actions is named
// after the most urgent one (a failure outranks a delay outranks a success).
enum class Kind { kFailure, kDelay, kSuccess };

Kind report_kind(const DsnInput& input);

// RFC 6533: use the message/global* types and utf-8 address types when the
// original was SMTPUTF8 or any address in the report is not ASCII.
bool needs_global(const DsnInput& input);

// The status code to report: the recipient's own if well-formed, otherwise
// the generic one of its action's class (5.0.0, 4.0.0, 2.0.0).
std::string status_code(const DsnRecipient& recipient);

// Part 1, text/plain: CRLF lines, at most 78 columns where words allow.
std::string human_text(const DsnInput& input, Kind kind, bool global, const ReturnedOriginal& returned);

// Part 2, message/(global-)delivery-status: the per-message block, then one
// block per recipient, blocks separated by an empty line.
std::string delivery_status(const DsnInput& input, bool global);

}  // namespace ringpost::delivery::dsn_parts
