// What the reading queue commands gather from the spool, once, before they
// render it as text (queue.cpp, queue_control.cpp) or as JSON
// (queue_json.cpp): one query, two renderings that cannot disagree about
// the facts. Internal to src/admin.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "admin/admin.hpp"
#include "admin/json_output.hpp"
#include "mail/envelope.hpp"
#include "store/spool.hpp"

namespace ringpost::admin::detail {

// A message with the bounce class of each recipient (`classes`, by index;
// "" for a recipient without a deferral or failure), classified now by the
// rules of the configuration in use.
struct ClassifiedMessage {
    mail::Envelope env;
    std::vector<std::string> classes;
};

// queue list: the messages with the facts of their line, and the totals.
struct ListedMessage : ClassifiedMessage {
    size_t pending = 0;       // recipients still queued or deferred
    uint32_t attempts = 0;    // the most attempts of a pending recipient
    int last_error = -1;      // index of the first pending recipient with a reply; -1 = none
};
struct QueueListing {
    std::vector<ListedMessage> messages;
    uint64_t bytes = 0, recipients_pending = 0;
    uint64_t held = 0;   // messages on hold
};

// queue show: the envelope and the stored message.
struct ShownMessage : ClassifiedMessage {
    std::string body;
};

// qshape's age buckets, in minutes: under 5, 10, 20, ... 1280, and older.
inline constexpr std::array<int64_t, 10> kBucketMinutes = {5, 10, 20, 40, 80, 160, 320, 640, 1280, INT64_MAX};

// queue summary: the waiting mail of one domain or site.
struct Shape {
    uint64_t messages = 0, recipients = 0;
    int64_t oldest = 0;   // received_at of the oldest; 0 = none
    std::array<uint64_t, kBucketMinutes.size()> ages{};   // messages by age, kBucketMinutes

    void add(const mail::Envelope& env, uint64_t rcpts, int64_t now);
};
struct QueueSummary {
    int64_t now = 0;
    std::map<std::string, std::string> site_of;   // domain -> site, as the running engine groups them
    std::map<std::string, Shape> domains, sites;  // "(local)" for local recipients
    std::vector<store::Suspension> suspensions;
    // Targets among `suspensions` that only the running engine holds
    // (shaping automation), not the store.
    std::set<std::string> automatic;
    // Held messages (queue hold, a milter's quarantine): not in the shapes,
    // which are the mail waiting for delivery.
    uint64_t held = 0;
};

// The facts of `queue list` and `queue summary` from the spool's envelopes
// (queue.cpp, queue_control.cpp): one read of the spool serves both
// (queue_status.cpp).
QueueListing list_queue(std::vector<mail::Envelope> envelopes, const AdminExtras& extras);
Result<QueueSummary> summarize_queue(store::Store& store, const AdminExtras& extras,
                                     const std::vector<mail::Envelope>& envelopes);

// Names shared by both renderings.
const char* state_name(mail::RcptState s);
const char* ret_text(mail::DsnRet r);     // "FULL", "HDRS", "-"
const char* body_text(mail::BodyType b);  // "7BIT", "8BITMIME", "BINARYMIME"

// The JSON renderings (queue_json.cpp); schemas in docs/CLI.md.
Json listing_json(const QueueListing& listing);
Json shown_json(const ShownMessage& shown);
Json summary_json(const QueueSummary& summary);
Json stats_json(const store::QueueStats& stats, int64_t now);

}  // namespace ringpost::admin::detail
