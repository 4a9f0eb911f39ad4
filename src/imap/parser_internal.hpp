// The argument parsers of each command (internal to src/imap), one per
// area file: parser.cpp (connection and authentication commands),
// parse_mailbox.cpp (mailbox commands, APPEND), parse_message.cpp (STORE,
// COPY, MOVE, UID EXPUNGE), parse_fetch.cpp, parse_search.cpp.
//
// Each is called with the lexer just after the command name, fills
// cmd.args, and ends with Lexer::end(); false means lexer.error() says why.
#pragma once

#include "imap/command.hpp"
#include "imap/lexer.hpp"

namespace ringpost::imap::detail {

using ArgParser = bool (*)(Lexer&, Command&);

bool parse_no_args(Lexer& lx, Command& cmd);
bool parse_login(Lexer& lx, Command& cmd);
bool parse_authenticate(Lexer& lx, Command& cmd);
bool parse_enable(Lexer& lx, Command& cmd);
bool parse_id(Lexer& lx, Command& cmd);

bool parse_select(Lexer& lx, Command& cmd);     // SELECT, EXAMINE
bool parse_create(Lexer& lx, Command& cmd);
bool parse_mailbox_only(Lexer& lx, Command& cmd);   // DELETE, SUBSCRIBE, UNSUBSCRIBE
bool parse_rename(Lexer& lx, Command& cmd);
bool parse_list(Lexer& lx, Command& cmd);
bool parse_lsub(Lexer& lx, Command& cmd);
bool parse_status(Lexer& lx, Command& cmd);
bool parse_append(Lexer& lx, Command& cmd);

bool parse_expunge(Lexer& lx, Command& cmd);    // EXPUNGE, UID EXPUNGE
bool parse_store(Lexer& lx, Command& cmd);
bool parse_copy(Lexer& lx, Command& cmd);       // COPY, MOVE

bool parse_fetch(Lexer& lx, Command& cmd);
bool parse_search(Lexer& lx, Command& cmd);

// "(" status-att *(SP status-att) ")" for STATUS and LIST RETURN (STATUS ...).
bool parse_status_items(Lexer& lx, StatusItems& items);

}  // namespace ringpost::imap::detail
