// Registry, families and collectors (registry.hpp): resolving children,
// and the snapshot a scrape takes.
#include "metrics/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include "metrics/exposition.hpp"

namespace ringpost::metrics {
namespace {

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

std::vector<std::string> to_strings(std::initializer_list<std::string_view> values) {
    return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace

Slot Family::resolve(std::vector<std::string> values, size_t cells) {
    if (values.size() != labels_.size())
        throw std::invalid_argument("metric " + name_ + ": " + std::to_string(values.size()) + " label values for " +
                                    std::to_string(labels_.size()) + " labels");
    std::lock_guard lock(registry_.mu_);
    auto it = children_.find(values);
    if (it == children_.end()) it = children_.emplace(std::move(values), allocate_slots(cells)).first;
    return it->second;
}

Counter CounterFamily::with(std::initializer_list<std::string_view> values) { return with(to_strings(values)); }
Counter CounterFamily::with(const std::vector<std::string>& values) { return Counter(resolve(values, 1)); }

std::vector<Counter> CounterFamily::each(std::span<const std::string_view> last,
                                         std::initializer_list<std::string_view> first) {
    std::vector<Counter> out;
    std::vector<std::string> values = to_strings(first);
    values.emplace_back();
    for (std::string_view v : last) {
        values.back() = v;
        out.push_back(with(values));
    }
    return out;
}

Histogram HistogramFamily::with(std::initializer_list<std::string_view> values) { return with(to_strings(values)); }
Histogram HistogramFamily::with(const std::vector<std::string>& values) {
    // Cells: one per bucket, +Inf, the sum.
    const Slot base = resolve(values, bounds_.size() + 2);
    if (base == detail::kOverflowSlot) return Histogram();
    return Histogram(base, bounds_.data(), static_cast<uint32_t>(bounds_.size()));
}

void GaugeWriter::set(std::initializer_list<std::string_view> values, double value) { set(to_strings(values), value); }
void GaugeWriter::set(std::vector<std::string> values, double value) {
    if (values.size() != labels_) throw std::invalid_argument("gauge sample: wrong number of label values");
    samples_.emplace_back(std::move(values), value);
}

Collector& Collector::operator=(Collector&& other) noexcept {
    if (this != &other) {
        reset();
        registry_ = other.registry_;
        id_ = other.id_;
        other.registry_ = nullptr;
    }
    return *this;
}

void Collector::reset() {
    if (registry_) registry_->remove_collector(id_);
    registry_ = nullptr;
}

Family* Registry::find(const std::string& name, Family::Type type, const std::vector<std::string>& labels) {
    auto it = families_.find(name);
    if (it == families_.end()) return nullptr;
    if (it->second->type_ != type || it->second->labels_ != labels)
        throw std::invalid_argument("metric " + name + " registered twice with different types or labels");
    return it->second.get();
}

static void check_names(const std::string& name, const std::vector<std::string>& labels) {
    if (!valid_name(name)) throw std::invalid_argument("invalid metric name: " + name);
    for (const auto& l : labels)
        if (!valid_name(l) || l.find(':') != std::string::npos || l.starts_with("__") || l == "le")
            throw std::invalid_argument("metric " + name + ": invalid label name: " + l);
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help, std::vector<std::string> labels) {
    check_names(name, labels);
    CounterFamily* family = nullptr;
    {
        std::lock_guard lock(mu_);
        if (Family* f = find(name, Family::Type::kCounter, labels)) return static_cast<CounterFamily&>(*f);
        auto made = std::unique_ptr<CounterFamily>(
            new CounterFamily(*this, Family::Type::kCounter, name, help, std::move(labels)));
        family = made.get();
        families_.emplace(name, std::move(made));
    }
    if (family->labels_.empty()) family->with({});   // the one child shows 0 from the start
    return *family;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                     std::vector<uint64_t> bounds, double divisor) {
    check_names(name, labels);
    if (bounds.size() + 2 > kFirstSlot || !std::is_sorted(bounds.begin(), bounds.end()) || divisor <= 0)
        throw std::invalid_argument("metric " + name + ": bad histogram buckets");
    HistogramFamily* family = nullptr;
    {
        std::lock_guard lock(mu_);
        if (Family* f = find(name, Family::Type::kHistogram, labels)) return static_cast<HistogramFamily&>(*f);
        auto made = std::unique_ptr<HistogramFamily>(
            new HistogramFamily(*this, name, help, std::move(labels), std::move(bounds), divisor));
        family = made.get();
        families_.emplace(name, std::move(made));
    }
    if (family->labels_.empty()) family->with({});
    return *family;
}

Collector Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> labels,
                          CollectFn collect) {
    check_names(name, labels);
    {
        std::lock_guard lock(mu_);
        if (!find(name, Family::Type::kGauge, labels))
            families_.emplace(name, std::unique_ptr<Family>(new Family(*this, Family::Type::kGauge, name, help,
                                                                       std::move(labels))));
    }
    std::lock_guard lock(collect_mu_);
    const uint64_t id = next_gauge_id_++;
    gauges_.push_back(Gauge{id, name, std::move(collect)});
    return Collector(this, id);
}

void Registry::remove_collector(uint64_t id) {
    std::lock_guard lock(collect_mu_);
    std::erase_if(gauges_, [id](const Gauge& g) { return g.id == id; });
}

std::vector<FamilySnapshot> Registry::snapshot() const {
    std::vector<FamilySnapshot> out;
    {
        std::lock_guard lock(mu_);
        SlotReader reader;   // after mu_: the slow path of counting takes only the shard lock
        for (const auto& [name, f] : families_) {
            FamilySnapshot s{name, f->help_, f->type_, f->labels_, {}, {}};
            const auto* h = f->type_ == Family::Type::kHistogram ? static_cast<const HistogramFamily*>(f.get())
                                                                   : nullptr;
            if (h)
                for (uint64_t b : h->bounds_) s.bounds.push_back(static_cast<double>(b) / h->divisor_);
            for (const auto& [values, slot] : f->children_) {
                FamilySnapshot::Sample sample{values, 0, {}, 0};
                if (!h) {
                    sample.value = static_cast<double>(reader.sum(slot));
                } else {
                    uint64_t cumulative = 0;
                    for (size_t i = 0; i <= h->bounds_.size(); ++i)
                        sample.buckets.push_back(cumulative += reader.sum(slot + static_cast<Slot>(i)));
                    sample.sum = static_cast<double>(reader.sum(slot + static_cast<Slot>(h->bounds_.size() + 1))) /
                                 h->divisor_;
                }
                s.samples.push_back(std::move(sample));
            }
            out.push_back(std::move(s));
        }
    }
    collect(out);
    return out;
}

// Runs the gauge collectors (without mu_: a collector may wait for another
// thread that is resolving a counter) and files their samples.
void Registry::collect(std::vector<FamilySnapshot>& out) const {
    std::lock_guard lock(collect_mu_);
    for (const Gauge& g : gauges_) {
        auto it = std::find_if(out.begin(), out.end(), [&](const FamilySnapshot& s) { return s.name == g.family; });
        if (it == out.end()) continue;   // registered after the snapshot: next time
        GaugeWriter writer(it->labels.size());
        g.collect(writer);
        for (auto& [values, value] : writer.samples_) it->samples.push_back({std::move(values), value, {}, 0});
    }
    for (auto& s : out)
        if (s.type == Family::Type::kGauge)
            std::stable_sort(s.samples.begin(), s.samples.end(),
                             [](const auto& a, const auto& b) { return a.values < b.values; });
}

std::string Registry::render_text() const { return exposition_text(snapshot()); }

Registry& global() {
    static Registry* registry = new Registry;   // never destroyed: threads may count during exit
    return *registry;
}

std::string render_text() { return global().render_text(); }

}  // namespace ringpost::metrics
