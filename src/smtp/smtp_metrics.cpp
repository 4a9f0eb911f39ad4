// smtp_metrics(): the SMTP families and their children, resolved once.
#include "smtp/smtp_metrics.hpp"

#include <string_view>

#include "auth/auth_metrics.hpp"

namespace ringpost::smtp {
namespace {

// Label values, by enum index.
constexpr std::string_view kVerbNames[kVerbCount] = {"unknown", "empty", "forbidden", "ehlo", "helo",
                                                     "mail",    "rcpt",  "data",      "bdat", "rset",
                                                     "noop",    "quit",  "vrfy",      "help", "starttls",
                                                     "auth"};
constexpr std::string_view kMessageRejectNames[kMessageRejectCount] = {
    "size", "line_too_long", "storage", "no_recipients", "filter", "store_error", "shutting_down"};
constexpr std::string_view kRcptRejectNames[kRcptRejectCount] = {"unknown_user", "relay_denied", "temp_fail",
                                                                 "too_many", "policy"};

SmtpMetrics make() {
    metrics::Registry& r = metrics::global();
    SmtpMetrics m;
    auto& commands = r.counter("ringpost_smtp_commands_total", "SMTP commands received, by verb", {"verb"});
    for (size_t i = 0; i < kVerbCount; ++i) m.commands[i] = commands.with({kVerbNames[i]});
    auto& replies = r.counter("ringpost_smtp_replies_total", "SMTP replies sent, by code class (2xx, 4xx, 5xx)",
                              {"class"});
    for (size_t c = 1; c <= 5; ++c) m.replies[c] = replies.with({std::to_string(c) + "xx"});
    m.messages_accepted = r.counter("ringpost_messages_accepted_total",
                                    "messages accepted (250 after the durable commit), SMTP and submission")
                              .with({});
    m.bytes_accepted = r.counter("ringpost_messages_accepted_bytes_total",
                                 "bytes of the messages accepted, as stored (with the Received: header)")
                           .with({});
    auto& rejected = r.counter("ringpost_messages_rejected_total", "transactions refused, by reason", {"reason"});
    for (size_t i = 0; i < kMessageRejectCount; ++i) m.messages_rejected[i] = rejected.with({kMessageRejectNames[i]});
    auto& rcpts = r.counter("ringpost_smtp_recipients_rejected_total", "RCPT commands refused, by reason",
                            {"reason"});
    for (size_t i = 0; i < kRcptRejectCount; ++i) m.recipients_rejected[i] = rcpts.with({kRcptRejectNames[i]});
    m.auth_failures = auth::auth_failures_counter("smtp");
    return m;
}

}  // namespace

const SmtpMetrics& smtp_metrics() {
    static const SmtpMetrics m = make();
    return m;
}

}  // namespace ringpost::smtp
