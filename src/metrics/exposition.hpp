// The Prometheus text exposition format, version 0.0.4 (Content-Type
// "text/plain; version=0.0.4"): # HELP and # TYPE lines, label values
// escaped, histograms as _bucket{le=...} (cumulative, ending at "+Inf"),
// _sum and _count.
#pragma once

#include <string>
#include <vector>

#include "metrics/registry.hpp"

namespace ringpost::metrics {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string exposition_text(const std::vector<FamilySnapshot>& families);

}  // namespace ringpost::metrics
