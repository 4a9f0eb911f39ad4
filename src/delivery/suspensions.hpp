// The delivery suspensions in force (`queue suspend`, shaping automation):
// mail to a target -- a destination domain or a site (site.hpp) -- is not
// attempted until a time; its recipients are held (RecipientResult::
// held_until) with the suspension as their last reply, and the message is
// due again when it ends (or, for one without an end, at each re-check).
// Ring thread only; pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/smtp_client.hpp"

namespace ringpost::delivery {

// A suspension without an end is looked at again this often (seconds): a
// held message becomes due then and is held again if it still applies.
inline constexpr int64_t kSuspensionRecheck = 300;

struct Held {
    std::string target;
    int64_t until = 0;      // 0 = until resumed
    std::string reason;

    // When the held recipients are due again.
    int64_t due(int64_t now) const { return until != 0 ? until : now + kSuspensionRecheck; }
    // Their last reply: "4.7.0 delivery suspended (gmail.com) until
    // 2026-12-07T10:00:00Z: reason".
    Diagnostic diagnostic() const;
};

class Suspensions {
public:
    void set(const std::string& target, int64_t until, std::string reason);
    bool clear(const std::string& target);
    // What holds mail to `domain` (of site `site`, "" if not known yet) at
    // `now`: the domain's own suspension, else its site's. Suspensions
    // that have ended are dropped.
    std::optional<Held> holding(std::string_view domain, std::string_view site, int64_t now);
    bool empty() const { return entries_.empty(); }
    // Every suspension in force at `now` (durable and automatic alike).
    std::vector<Held> in_force(int64_t now) const;

private:
    struct Entry {
        int64_t until = 0;
        std::string reason;
    };
    std::optional<Held> find(std::string_view target, int64_t now);
    std::map<std::string, Entry, std::less<>> entries_;
};

// The marker in a held recipient's last reply, for `queue resume`.
std::string suspension_marker(std::string_view target);

}  // namespace ringpost::delivery
