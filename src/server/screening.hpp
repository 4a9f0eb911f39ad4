// Screening before the SMTP greeting, as Postfix's postscreen does it, on
// the plain listeners that screen ([smtp] screen, [submission] screen) and
// for clients not in relay_networks (unless [screen] screen_trusted):
//
//  * DNSBL/DNSWL: the client's reversed address under each zone of
//    dnsbl_sites (dns/dnsbl.hpp), all zones at once on the worker's
//    resolver (cached by TTL); at dnsbl_threshold or above the client gets
//    "554 5.7.1 Service unavailable; client [IP] blocked using ZONE" with
//    the zone's TXT reason, and is disconnected; at
//    dnsbl_allowlist_threshold or below it skips the pregreet test.
//  * The pregreet test: the greeting's first line "220-HOST ESMTP" goes
//    out, then greet_wait for the client to talk out of turn (a spambot
//    that does not wait for the greeting); pregreet = "enforce" answers it
//    "554 5.5.1 Protocol error" and disconnects, "ignore" only logs it.
//    The session's greeting then ends the multi-line reply. The DNSBL
//    lookups run during that wait, which hides their latency.
//
// Nothing here reads from the socket: the pregreet test only peeks, so an
// ignored early talker's commands reach the session intact. A zone that has
// not answered within dnsbl_timeout counts as not listing (logged). One
// log line `event=screen` per verdict other than a plain pass.
//
// With the pass cache (screen_cache.hpp), a client that passed a test
// within its TTL skips it: no lookups for a DNSBL pass, no "220-" and no
// wait for a pregreet pass (or an allow-listing); with nothing left to
// test it is greeted at once (ScreenEvent::kCached). What a client passes
// here is remembered for its next connections.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/dnsbl.hpp"
#include "io/live_set.hpp"
#include "io/task.hpp"
#include "server/screen_cache.hpp"
#include "server/screen_metrics.hpp"

namespace ringpost::dns {
class Resolver;
}

namespace ringpost::server {

enum class PregreetMode { kOff, kEnforce, kIgnore };

struct ScreenSettings {
    std::string hostname;
    std::vector<dns::DnsblSite> sites;
    std::vector<std::string> zones;   // each zone of `sites` once: one query each
    int threshold = 1;
    int allowlist_threshold = 0;      // < 0: allow-listing on
    std::chrono::milliseconds dnsbl_timeout{3000};
    PregreetMode pregreet = PregreetMode::kOff;
    std::chrono::milliseconds greet_wait{1000};
};

// From [screen] (checked when the file was read); throws ConfigError on a
// site that does not parse.
ScreenSettings screen_settings(const config::Config& config);

enum class ScreenVerdict {
    kPass,     // go on to the session (its greeting ends a "220-" already sent)
    kClosed,   // answered and closed here: the socket is gone
};

struct ScreenResult {
    ScreenVerdict verdict = ScreenVerdict::kPass;
    ScreenEvent event = ScreenEvent::kPass;   // what was counted
};

// One per worker, on its ring.
class Screener {
public:
    // `cache`: the pass cache shared by all workers; null = none.
    Screener(ScreenSettings settings, dns::Resolver& resolver, io::LiveSet& live, ScreenCache* cache = nullptr);

    // Anything to do before the greeting (DNSBL sites, or the pregreet test on)?
    bool active() const { return !settings_.zones.empty() || settings_.pregreet != PregreetMode::kOff; }

    // Screens the client on the plain socket `fd`; closes it unless kPass.
    io::Task<ScreenResult> screen(int fd, std::string client_ip);

private:
    struct Run;
    enum class Step { kGoOn, kPregreet, kHangup, kShutdown };
    // Which tests the cache lets `run` skip; true when none is left.
    bool skip_cached(Run& run);
    void start_lookups(Run& run);
    // "220-", then greet_wait for the client to talk out of turn.
    io::Task<Step> pregreet_test(Run& run);
    // Until every list answered or dnsbl_timeout; false when the server stops.
    io::Task<bool> wait_for_lists(Run& run);
    // The DNSBL score's verdict: 554 5.7.1 and close, or pass.
    io::Task<ScreenResult> verdict(Run& run);
    // The passes of a client that is greeted, into the cache.
    void remember(const Run& run, bool allowlisted);
    // Counts `why`, says `reply` (if any) and closes.
    io::Task<ScreenResult> hang_up(Run& run, ScreenEvent why, std::string reply);

    ScreenSettings settings_;
    dns::Resolver& resolver_;
    io::LiveSet& live_;
    ScreenCache* cache_;
};

}  // namespace ringpost::server
