#include "server/greylist_metrics.hpp"

namespace ringpost::server {

const GreylistMetrics& greylist_metrics() {
    static const GreylistMetrics m = [] {
        auto& family = metrics::global().counter(
            "ringpost_greylist_total",
            "recipients of untrusted clients checked by greylisting, by result (greylisted, passed, known, "
            "auto_whitelisted, whitelisted, unlisted_domain)",
            {"result"});
        GreylistMetrics out;
        for (size_t i = 0; i < Greylist::kOutcomeCount; ++i)
            out.outcomes[i] = family.with({Greylist::outcome_name(static_cast<Greylist::Outcome>(i))});
        return out;
    }();
    return m;
}

}  // namespace ringpost::server
