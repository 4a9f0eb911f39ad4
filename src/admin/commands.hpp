// Internal to the admin commands: one handler per command, and the
// formatting helpers they share. Not used outside src/admin.
#pragma once

#include <functional>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"
#include "util/result.hpp"

namespace ringpost::store {
class Spool;
}

namespace ringpost::admin {
struct CommandCall;
}

namespace ringpost::admin::detail {

// The handlers the command table (command_table.cpp) points to, one per
// command; the operand count is already checked. users.cpp:
int user_add(const CommandCall& call);
int user_list(const CommandCall& call);
int user_del(const CommandCall& call);
// queue.cpp:
int queue_list(const CommandCall& call);
int queue_show(const CommandCall& call);
int queue_delete(const CommandCall& call);
int queue_stats(const CommandCall& call);
// queue_ops.cpp:
int queue_flush(const CommandCall& call);
int queue_bounce(const CommandCall& call);
// One message's bounce (queue bounce ID / --domain): kExitOk with `bounced`
// set, or the exit code of the failure (written to err).
int bounce_message(const CommandCall& call, mail::Envelope env, std::string body,
                   const std::function<bool(const mail::Recipient&)>& which, size_t& bounced);
int64_t unix_now();
// queue_control.cpp (per domain and site):
int queue_summary(const CommandCall& call);
int queue_suspend(const CommandCall& call);
int queue_resume(const CommandCall& call);
int queue_retry(const CommandCall& call);
int queue_bounce_domain(const CommandCall& call, const std::string& domain);
// Whether `r` is pending and its domain is `domain` (lower case).
bool pending_in_domain(const mail::Recipient& r, const std::string& domain);
// queue_hold.cpp:
int queue_hold(const CommandCall& call);
int queue_release(const CommandCall& call);
// mailbox.cpp:
int mailbox_list(const CommandCall& call);
int mailbox_show(const CommandCall& call);
// metrics.cpp:
int metrics_text(const CommandCall& call);

// The queued message whose ID is `arg`: kExitOk, or the exit code with the
// message in err (not an ID, no such message, body missing, store error).
int load_queued(store::Spool& spool, const std::string& arg, mail::Envelope& env, std::string& body, std::string& err);
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
