// A milter's edits applied to a message before its commit: header fields
// added, inserted, changed or deleted (SMFIR_ADDHEADER, INSHEADER,
// CHGHEADER), the body replaced (SMFIR_REPLBODY, chunks joined), the
// recipients added or deleted and the sender changed. Pure: the caller
// decides whether an added recipient is acceptable.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mail/envelope.hpp"
#include "milter/codec.hpp"

namespace ringpost::milter {

// Classifies an added recipient (sets `local`); false refuses it (an
// unknown local user, a domain the server would not relay to).
using RecipientCheck = std::function<bool(mail::Recipient&)>;

struct EditSummary {
    unsigned headers = 0;         // header fields added, changed or deleted
    bool body_replaced = false;
    unsigned rcpts_added = 0;
    unsigned rcpts_deleted = 0;
    std::vector<std::string> rcpts_refused;   // added by the milter, refused by the check
    bool sender_changed = false;
};

// Applies `edits` in order to `data` (header section and body, CRLF) and
// `envelope`; keeps envelope.body_size equal to data.size().
EditSummary apply_edits(const std::vector<Reply>& edits, mail::Envelope& envelope, std::string& data,
                        const RecipientCheck& check);

// A header field as the milter gave it, ready to store: "Name: value\r\n",
// line breaks made CRLF, and a continuation line that does not start with
// a blank given one (a milter's value must not start a field of its own).
std::string format_field(std::string_view name, std::string_view value);

}  // namespace ringpost::milter
