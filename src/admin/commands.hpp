// Internal to the admin commands: one function per command group, and the
// formatting helpers they share. Not used outside src/admin.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"
#include "util/result.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::admin {
struct AdminExtras;
}

namespace ringpost::admin::detail {

using Args = std::vector<std::string>;

// Each takes the full argument list (args[0] is the group name) and returns an exit code.
int user_command(store::Store& store, const Args& args, std::string_view stdin_data, std::string& out, std::string& err);
int queue_command(store::Store& store, const AdminExtras& extras, const Args& args, std::string& out,
                  std::string& err);
int mailbox_command(store::Store& store, const Args& args, std::string& out, std::string& err);

// queue flush / queue bounce (admin_queue_ops.cpp).
int queue_flush(store::Store& store, const AdminExtras& extras, const Args& args, std::string& out, std::string& err);
int queue_bounce(store::Store& store, const AdminExtras& extras, const Args& args, std::string& out, std::string& err);
// The queued message whose ID is `arg`: kExitOk, or the exit code with the
// message in err (not an ID, no such message, body missing, store error).
int load_queued(store::Store& store, const std::string& arg, mail::Envelope& env, std::string& body, std::string& err);
// A queue ID argument, upper-cased; false (with the exit code) if it is not one.
bool parse_queue_id(const std::string& arg, std::string& id, std::string& err, int& code);

// "ringpost: <message>\n" into err; returns `code` so callers can `return fail(...)`.
int fail(std::string& err, int code, std::string_view message);
// Store errors are operational failures (exit 1).
int store_fail(std::string& err, const Error& e);
int usage(std::string& err, std::string_view synopsis);

// 2026-11-24T10:00:00Z (UTC); "-" for 0.
std::string iso_time(int64_t unix_seconds);
// Envelope/header fields come from the network: escape control bytes so a
// hostile HELO cannot move the cursor or forge extra lines in the listing.
std::string printable(std::string_view s);
// Lower-cased "local@domain" or an empty string if it is not an address.
std::string normalize_address(std::string_view s);

}  // namespace ringpost::admin::detail
