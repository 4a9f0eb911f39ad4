// One destination site on the delivery ring (shaping.hpp says what a site
// is): its connection slots and its two pacers (messages, connections).
// Destinations of the site take a slot before they connect and a pass of
// each pacer before each connection and each transaction; a destination
// that has to wait waits alone, on its own timer, so no other site is held
// up (no head-of-line blocking). Ring thread only.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "delivery/rate.hpp"
#include "delivery/shaping.hpp"
#include "io/ops.hpp"
#include "io/task.hpp"

namespace ringpost::delivery {

class Site {
public:
    // `key`: the engine's, per egress source ("SOURCE/NAME"); `name`: the
    // site's own (what suspensions and `queue summary` use).
    Site(std::string key, std::string name, SiteLimits limits, std::string rule)
        : key_(std::move(key)), name_(std::move(name)), rule_(std::move(rule)), limits_(limits),
          messages_(limits.max_message_rate), connects_(limits.max_connection_rate) {}

    const std::string& key() const { return key_; }
    const std::string& name() const { return name_; }
    const std::string& rule() const { return rule_; }
    const SiteLimits& limits() const { return limits_; }

    struct Waiter {
        std::coroutine_handle<> handle;
        bool granted = false;
    };
    // co_await acquire_connection(): true once a connection may be opened
    // (fewer than max_connections are); false when the engine stops.
    struct Acquire {
        Site& site;
        Waiter waiter;
        bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        bool await_resume() const { return waiter.granted; }
    };
    Acquire acquire_connection() { return Acquire{*this, {}}; }
    void release_connection();
    uint32_t connections() const { return connections_; }
    // max_connections, or 1 when the message pace is slower than one per
    // idle time.
    uint32_t connection_limit() const;

    // Take a pass at once when one is free and say true; false (nothing
    // taken) = await pace_*(). Most sites are unlimited or idle: this way
    // their transactions pay no coroutine frame for pacing.
    bool try_pace_connection();
    bool try_pace_message();
    // Waits for a pass of the connection pacer and takes it; false when the
    // engine stops.
    io::Task<bool> pace_connection();
    // Waits for a pass of the message pacer and takes it; false when the
    // engine stops.
    io::Task<bool> pace_message();
    // How long pace_message() would wait now (a connection that would idle
    // longer than its idle time is closed instead).
    Pacer::Clock::duration message_wait() const { return messages_.wait(Pacer::Clock::now()); }
    // Sleeps `d` unless the engine stops (false then).
    io::Task<bool> sleep(Pacer::Clock::duration d);

    // Shaping automation: the message rate becomes `rate` until `until`
    // (unix seconds), then the configured one again (checked as passes are
    // taken, and logged then).
    void throttle(Rate rate, int64_t until);
    // The message rate in force (the throttled one while it lasts).
    Rate message_rate();

    // Engine stopping: waiters get false, sleepers wake.
    void shut_down();
    // Destinations attached to the site; the engine forgets an unused site
    // once forgetting it loses nothing (no connection, nobody waiting, no
    // pacing debt: a new one would pace the same).
    void attach() { ++destinations_; }
    void detach() { --destinations_; }
    bool unused() const;

private:
    io::Task<bool> pace(Pacer& pacer);

    const std::string key_;
    const std::string name_;
    const std::string rule_;
    SiteLimits limits_;
    Pacer messages_;
    Pacer connects_;
    Rate throttled_;                // in force until throttled_until_
    int64_t throttled_until_ = 0;   // 0 = not throttled
    uint32_t connections_ = 0;
    uint32_t destinations_ = 0;
    bool closed_ = false;
    std::deque<Waiter*> waiters_;
    std::vector<io::CancelSlot*> sleepers_;
};

}  // namespace ringpost::delivery
