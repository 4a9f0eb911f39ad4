// exposition_text() (exposition.hpp) through prometheus-cpp's TextSerializer:
// the registry's snapshot becomes its plain MetricFamily values, so none of
// prometheus-cpp's own metric objects (atomics shared by all threads) are on
// a counting path. README "Dependencies" says why.
#include "metrics/exposition.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace ringpost::metrics {
namespace {

// prometheus-cpp 1.0.1 writes HELP text as given, but the format wants a
// backslash as \\ and a line feed as \n there (label values it escapes).
std::string escape_help(const std::string& help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

prometheus::MetricType type_of(Family::Type t) {
    switch (t) {
        case Family::Type::kCounter: return prometheus::MetricType::Counter;
        case Family::Type::kGauge: return prometheus::MetricType::Gauge;
        case Family::Type::kHistogram: return prometheus::MetricType::Histogram;
    }
    return prometheus::MetricType::Untyped;
}

prometheus::ClientMetric metric_of(const FamilySnapshot& f, const FamilySnapshot::Sample& s) {
    prometheus::ClientMetric m;
    for (size_t i = 0; i < f.labels.size() && i < s.values.size(); ++i) m.label.push_back({f.labels[i], s.values[i]});
    switch (f.type) {
        case Family::Type::kCounter: m.counter.value = s.value; break;
        case Family::Type::kGauge: m.gauge.value = s.value; break;
        case Family::Type::kHistogram:
            m.histogram.sample_count = s.buckets.empty() ? 0 : s.buckets.back();
            m.histogram.sample_sum = s.sum;
            // The serializer adds the +Inf bucket (the sample count) itself.
            for (size_t i = 0; i < f.bounds.size() && i < s.buckets.size(); ++i)
                m.histogram.bucket.push_back({s.buckets[i], f.bounds[i]});
            break;
    }
    return m;
}

}  // namespace

std::string exposition_text(const std::vector<FamilySnapshot>& families) {
    std::vector<prometheus::MetricFamily> out;
    out.reserve(families.size());
    for (const FamilySnapshot& f : families) {
        prometheus::MetricFamily pf{f.name, escape_help(f.help), type_of(f.type), {}};
        for (const auto& s : f.samples) pf.metric.push_back(metric_of(f, s));
        out.push_back(std::move(pf));
    }
    return prometheus::TextSerializer().Serialize(out);
}

}  // namespace ringpost::metrics
