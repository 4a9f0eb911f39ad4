// The one in-memory DNS of the unit tests of what asks a dns::Lookup (SPF,
// DKIM verification, DMARC) and of the spf_record fuzz target: canned
// answers, given at once (the coroutines never suspend, so run_now() drives
// them without a ring), with NXDOMAIN, NODATA and temporary failures told
// apart as dns::Resolver tells them, and the names asked, in order.
//
//   * a name never added does not exist (NXDOMAIN);
//   * an added name without records of the type asked: NODATA, or a
//     temporary failure after add_timeout() (the RFC 7208 suite's TIMEOUT);
//   * outcome(name, type, ...) forces the outcome of one (name, type),
//     records or not (a DNS failure of a name that has records);
//   * names match case-insensitively; answers' names are lower-case,
//     without the trailing dot.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dns/lookup.hpp"
#include "io/task.hpp"
#include "util/ascii.hpp"

namespace ringpost::dns::test {

class FakeZone final : public Lookup {
public:
    struct Entry {
        uint16_t type;
        std::string value;      // A/AAAA: the address; TXT: one record's text; PTR: the name; MX: the host
        uint16_t preference = 0;
    };

    void add(const std::string& name, Entry entry) { names_[util::ascii_lower(name)].entries.push_back(std::move(entry)); }
    // The TXT records of `name`, one per text, instead of those it had.
    void txt(const std::string& name, const std::vector<std::string>& texts) {
        auto& entries = names_[util::ascii_lower(name)].entries;
        std::erase_if(entries, [](const Entry& e) { return e.type == kTypeTxt; });
        for (const std::string& text : texts) entries.push_back({kTypeTxt, text});
    }
    // Every query of a type the name has no records of times out.
    void add_timeout(const std::string& name) { names_[util::ascii_lower(name)].timeout = true; }
    // The name exists (so it is NODATA, not NXDOMAIN, for types it has no records of).
    void add_name(const std::string& name) { names_[util::ascii_lower(name)]; }
    void outcome(const std::string& name, uint16_t type, Outcome outcome) {
        forced_[{util::ascii_lower(name), type}] = outcome;
    }

    io::Task<RecordSet> lookup(std::string name, uint16_t type) override {
        asked.push_back(name);
        co_return answer(util::ascii_lower(name), type);
    }

    // Every name asked, as asked: asked.size() is the number of queries.
    std::vector<std::string> asked;

private:
    struct Name {
        bool timeout = false;
        std::vector<Entry> entries;
    };

    RecordSet answer(const std::string& name, uint16_t type) const {
        RecordSet rs;
        if (auto forced = forced_.find({name, type}); forced != forced_.end()) return failure(name, forced->second);
        auto it = names_.find(name);
        if (it == names_.end()) return failure(name, Outcome::kNxDomain);
        for (const Entry& e : it->second.entries) {
            if (e.type != type) continue;
            if (type == kTypeA) rs.addresses.push_back({e.value, 2});
            if (type == kTypeAaaa) rs.addresses.push_back({e.value, 10});
            if (type == kTypeTxt) rs.texts.push_back(e.value);
            if (type == kTypePtr) rs.names.push_back(normal(e.value));
            if (type == kTypeMx) rs.mx.push_back({normal(e.value), e.preference});
        }
        const bool any = !rs.addresses.empty() || !rs.texts.empty() || !rs.names.empty() || !rs.mx.empty();
        if (any) rs.outcome = Outcome::kAnswer;
        return any ? rs : failure(name, it->second.timeout ? Outcome::kTemporary : Outcome::kNoData);
    }

    // No records, with the resolver's words for it.
    static RecordSet failure(const std::string& name, Outcome outcome) {
        RecordSet rs;
        rs.outcome = outcome;
        if (outcome == Outcome::kNxDomain) rs.error = "NXDOMAIN for " + name;
        if (outcome == Outcome::kTemporary) rs.error = "DNS timeout for " + name;
        return rs;
    }

    // As dns::Resolver gives names: lower-case, no trailing dot.
    static std::string normal(std::string name) {
        if (!name.empty() && name.back() == '.') name.pop_back();
        return util::ascii_lower(name);
    }

    std::map<std::string, Name> names_;
    std::map<std::pair<std::string, uint16_t>, Outcome> forced_;
};

namespace detail {
template <class T>
io::Task<void> store_result(io::Task<T> task, std::optional<T>* out) {
    out->emplace(co_await std::move(task));
}
}  // namespace detail

// Runs a task that never suspends (one over a FakeZone) to its value.
template <class T>
T run_now(io::Task<T> task) {
    std::optional<T> out;
    io::spawn(detail::store_result(std::move(task), &out));
    if (!out) throw std::logic_error("the task suspended without a ring");
    return std::move(*out);
}

}  // namespace ringpost::dns::test
