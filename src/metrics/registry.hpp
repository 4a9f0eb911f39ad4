// Metrics: counters, histograms and gauges in families with fixed label
// names, exposed in the Prometheus text format (render_text()). Knows
// nothing of mail; every layer registers its own families here (or is
// handed the counters it needs by the layer that owns it).
//
// Counting costs the hot path one thread-local load and an add to memory
// only this thread writes (slots.hpp): a family's child is resolved once --
// with() at startup or on first use, which takes the registry's lock -- and
// the returned handle is then used with no lookup and no lock. A scrape sums
// the per-thread cells. Gauges of live state (queue depth, pool queues) are
// not counted at all: a collector reads them when a scrape asks.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/slots.hpp"

namespace ringpost::metrics {

// A resolved counter child. A default-constructed one counts into nothing.
class Counter {
public:
    Counter() = default;
    void inc(uint64_t n = 1) const { detail::add(slot_, n); }

private:
    friend class CounterFamily;
    explicit Counter(Slot slot) : slot_(slot) {}
    Slot slot_ = detail::kOverflowSlot;
};

// A resolved histogram child. Values are whole numbers in the family's
// observed unit (microseconds, messages); the exposition divides by the
// family's divisor (1e6: seconds). A default-constructed one counts into
// nothing.
class Histogram {
public:
    Histogram() = default;
    void observe(uint64_t value) const {
        uint32_t i = 0;
        while (i < n_ && value > bounds_[i]) ++i;   // few buckets: a scan beats a search
        detail::add(base_ + i, 1);                   // bucket i; i == n_ is +Inf
        detail::add(base_ + n_ + 1, value);          // the sum
    }

private:
    friend class HistogramFamily;
    Histogram(Slot base, const uint64_t* bounds, uint32_t n) : base_(base), bounds_(bounds), n_(n) {}
    Slot base_ = detail::kOverflowSlot;
    const uint64_t* bounds_ = nullptr;
    uint32_t n_ = 0;
};

class Registry;

// What every family has: a name, a help text, its label names, and the
// children resolved so far (label values -> first slot).
class Family {
public:
    enum class Type { kCounter, kGauge, kHistogram };
    Family(const Family&) = delete;
    Family& operator=(const Family&) = delete;
    // The registry owns its families as Family (unique_ptr<Family>) and
    // deletes them as such: the derived ones (HistogramFamily's bounds)
    // must be destroyed whole.
    virtual ~Family() = default;
    const std::string& name() const { return name_; }

protected:
    friend class Registry;
    Family(Registry& registry, Type type, std::string name, std::string help, std::vector<std::string> labels)
        : registry_(registry), type_(type), name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}
    // The first slot of the child with these label values, allocating
    // `cells` slots for a new one. Throws std::invalid_argument when the
    // number of values is not the number of label names (a programming
    // error, found at startup).
    Slot resolve(std::vector<std::string> values, size_t cells);

    Registry& registry_;
    const Type type_;
    const std::string name_;
    const std::string help_;
    const std::vector<std::string> labels_;
    std::map<std::vector<std::string>, Slot> children_;   // under the registry's lock
};

class CounterFamily : public Family {
public:
    Counter with(std::initializer_list<std::string_view> values);
    Counter with(const std::vector<std::string>& values);
    // One child per entry of `last` (the last label's values, after the
    // fixed `first` ones), in order: the counters of a small enum, indexed
    // by its value.
    std::vector<Counter> each(std::span<const std::string_view> last, std::initializer_list<std::string_view> first = {});

private:
    friend class Registry;
    using Family::Family;
};

class HistogramFamily : public Family {
public:
    Histogram with(std::initializer_list<std::string_view> values);
    Histogram with(const std::vector<std::string>& values);

private:
    friend class Registry;
    HistogramFamily(Registry& registry, std::string name, std::string help, std::vector<std::string> labels,
                    std::vector<uint64_t> bounds, double divisor)
        : Family(registry, Type::kHistogram, std::move(name), std::move(help), std::move(labels)),
          bounds_(std::move(bounds)), divisor_(divisor) {}
    const std::vector<uint64_t> bounds_;   // upper bounds, ascending, in observed units; +Inf implied
    const double divisor_;                 // exposition value = observed / divisor
};

// What a gauge collector reports: one value per label-value tuple.
class GaugeWriter {
public:
    void set(std::initializer_list<std::string_view> values, double value);
    void set(std::vector<std::string> values, double value);

private:
    friend class Registry;
    explicit GaugeWriter(size_t labels) : labels_(labels) {}
    size_t labels_;
    std::vector<std::pair<std::vector<std::string>, double>> samples_;
};
using CollectFn = std::function<void(GaugeWriter&)>;

// Unregisters its collector when destroyed; once that returns, the
// collector is not running and never runs again (so what it reads may go).
class Collector {
public:
    Collector() = default;
    Collector(Collector&& other) noexcept : registry_(other.registry_), id_(other.id_) { other.registry_ = nullptr; }
    Collector& operator=(Collector&& other) noexcept;
    ~Collector() { reset(); }
    void reset();

private:
    friend class Registry;
    Collector(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
    Registry* registry_ = nullptr;
    uint64_t id_ = 0;
};

// One sample family as a scrape sees it (exposition.hpp renders these).
struct FamilySnapshot {
    struct Sample {
        std::vector<std::string> values;   // label values, in label-name order
        double value = 0;                  // counter or gauge
        std::vector<uint64_t> buckets;     // histogram: cumulative counts, the last is +Inf
        double sum = 0;                    // histogram
    };
    std::string name, help;
    Family::Type type = Family::Type::kCounter;
    std::vector<std::string> labels;
    std::vector<double> bounds;   // histogram upper bounds (without +Inf), exposition units
    std::vector<Sample> samples;
};

class Registry {
public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // The family of that name, made on first call; the same one again for
    // the same name and labels (layers may register at first use from any
    // thread). Throws std::invalid_argument for a name already used with
    // other labels or another type, or an invalid name.
    CounterFamily& counter(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
    // `bounds`: ascending upper bounds in observed units (at most 60).
    HistogramFamily& histogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                               std::vector<uint64_t> bounds, double divisor = 1);
    // A gauge family whose values `collect` reports at each scrape, on the
    // scraping thread (so it must be safe to call from there). Several
    // collectors may report into one family (their label values must differ).
    [[nodiscard]] Collector gauge(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                  CollectFn collect);

    // Every family, in name order, with its children in label-value order.
    std::vector<FamilySnapshot> snapshot() const;
    // The Prometheus text exposition format 0.0.4 of snapshot().
    std::string render_text() const;

private:
    friend class Family;
    friend class Collector;
    Family* find(const std::string& name, Family::Type type, const std::vector<std::string>& labels);
    void remove_collector(uint64_t id);
    void collect(std::vector<FamilySnapshot>& out) const;

    mutable std::mutex mu_;   // families and their children
    std::map<std::string, std::unique_ptr<Family>> families_;
    struct Gauge {
        uint64_t id;
        std::string family;
        CollectFn collect;
    };
    // Held while collectors run, so that remove_collector() waits for a
    // running scrape; never taken on a counting path.
    mutable std::mutex collect_mu_;
    std::vector<Gauge> gauges_;
    uint64_t next_gauge_id_ = 1;
};

// The process's registry: what `ringpost metrics` and GET /metrics show.
Registry& global();
// global().render_text(): the one entry point of the exposition.
std::string render_text();

}  // namespace ringpost::metrics
