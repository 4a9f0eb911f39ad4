// The SMTP server's counters (metrics/registry.hpp), resolved once at
// first use: by verb, by reply class, messages accepted and why others
// were refused. README "Metrics" lists them.
#pragma once

#include <array>
#include <cstdint>

#include "metrics/registry.hpp"
#include "smtp/command.hpp"

namespace ringpost::smtp {

// Why a message (a transaction) was refused.
enum class MessageReject : uint8_t {
    kSize,           // over max_message_size (SIZE= on MAIL, or the data itself)
    kLineTooLong,    // a data line over max_data_line
    kStorage,        // 452 4.3.1: too little free space
    kNoRecipients,   // DATA/BDAT after every RCPT was refused
    kFilter,         // a message filter refused it after its data
    kStoreError,     // the durable write failed (451)
    kShuttingDown,   // the spool took nothing more (421)
};
inline constexpr size_t kMessageRejectCount = 7;

// Why a RCPT was refused.
// kPolicy: Policy::check_accepted_recipient refused it (greylisting).
enum class RcptReject : uint8_t { kUnknownUser, kRelayDenied, kTempFail, kTooMany, kPolicy };
inline constexpr size_t kRcptRejectCount = 5;

inline constexpr size_t kVerbCount = static_cast<size_t>(Verb::kAuth) + 1;

struct SmtpMetrics {
    std::array<metrics::Counter, kVerbCount> commands;     // by Verb
    std::array<metrics::Counter, 6> replies;               // by code / 100 (1xx..5xx; 0 unused)
    metrics::Counter messages_accepted, bytes_accepted;
    std::array<metrics::Counter, kMessageRejectCount> messages_rejected;
    std::array<metrics::Counter, kRcptRejectCount> recipients_rejected;
    metrics::Counter auth_failures;

    void reply(uint16_t code) const { replies[code / 100 % 6].inc(); }
    void reject(MessageReject why) const { messages_rejected[static_cast<size_t>(why)].inc(); }
    void reject(RcptReject why) const { recipients_rejected[static_cast<size_t>(why)].inc(); }
};

// The process's (metrics::global()); resolved on the first call.
const SmtpMetrics& smtp_metrics();

}  // namespace ringpost::smtp
