// A site's passes without a wait: try_pace_*() takes a free pass at once
// (no coroutine frame for the common unlimited or idle case) and takes
// nothing when the pacer says wait, so the awaited pace_*() that follows
// still finds the pass it has to wait for.
#include "delivery/site.hpp"

#include <gtest/gtest.h>

using namespace ringpost::delivery;
using namespace std::chrono_literals;

namespace {

Site site_with(Rate messages, Rate connections) {
    SiteLimits limits;
    limits.max_message_rate = messages;
    limits.max_connection_rate = connections;
    return Site("s", "s", limits, "");
}

}  // namespace

TEST(Site, UnlimitedPacersAlwaysHaveAPass) {
    Site site = site_with(Rate{}, Rate{});
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(site.try_pace_message());
        EXPECT_TRUE(site.try_pace_connection());
    }
}

TEST(Site, ABusyPacerTakesNothingAndSaysWait) {
    Site site = site_with(Rate{1, 1h}, Rate{1, 1h});
    EXPECT_TRUE(site.try_pace_message());
    EXPECT_FALSE(site.try_pace_message());
    EXPECT_FALSE(site.try_pace_message());
    // Nothing was taken by the refusals: the wait is one interval, not three.
    EXPECT_GT(site.message_wait(), 59min);
    EXPECT_LE(site.message_wait(), 1h);
    EXPECT_TRUE(site.try_pace_connection());
    EXPECT_FALSE(site.try_pace_connection());
}

TEST(Site, AThrottleAppliesToTheFastPath) {
    Site site = site_with(Rate{}, Rate{});
    EXPECT_TRUE(site.try_pace_message());
    site.throttle(Rate{1, 1h}, std::numeric_limits<int64_t>::max());
    EXPECT_TRUE(site.try_pace_message());
    EXPECT_FALSE(site.try_pace_message());
}
