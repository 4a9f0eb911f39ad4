// An in-memory DNS zone for the SPF tests: spf::Dns answered at once (the
// coroutines never suspend, so a test drives them without a ring), with
// NXDOMAIN, NODATA and timeouts as the test suite's zone data describes
// them, and a count of the queries asked.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/task.hpp"
#include "spf/dns.hpp"
#include "util/ascii.hpp"

namespace ringpost::spf::test {

class FakeZone final : public Dns {
public:
    struct Entry {
        uint16_t type;
        std::string value;      // A/AAAA: the address; TXT: the text; PTR: the name; MX: the host
        uint16_t preference = 0;
    };

    void add(const std::string& name, Entry entry) { names_[util::ascii_lower(name)].entries.push_back(std::move(entry)); }
    // Every query of a type the name has no records of times out.
    void add_timeout(const std::string& name) { names_[util::ascii_lower(name)].timeout = true; }
    // The name exists (so it is NODATA, not NXDOMAIN, for other types).
    void add_name(const std::string& name) { names_[util::ascii_lower(name)]; }

    io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) override {
        ++queries;
        co_return answer(util::ascii_lower(name), type);
    }

    unsigned queries = 0;

private:
    struct Name {
        bool timeout = false;
        std::vector<Entry> entries;
    };

    dns::RecordSet answer(const std::string& name, uint16_t type) const {
        dns::RecordSet rs;
        auto it = names_.find(name);
        if (it == names_.end()) {
            rs.outcome = dns::Outcome::kNxDomain;
            rs.error = "NXDOMAIN for " + name;
            return rs;
        }
        for (const Entry& e : it->second.entries) {
            if (e.type != type) continue;
            if (type == dns::kTypeA) rs.addresses.push_back({e.value, 2});
            if (type == dns::kTypeAaaa) rs.addresses.push_back({e.value, 10});
            if (type == dns::kTypeTxt) rs.texts.push_back(e.value);
            if (type == dns::kTypePtr) rs.names.push_back(normal(e.value));
            if (type == dns::kTypeMx) rs.mx.push_back({normal(e.value), e.preference});
        }
        const bool any = !rs.addresses.empty() || !rs.texts.empty() || !rs.names.empty() || !rs.mx.empty();
        rs.outcome = any ? dns::Outcome::kAnswer : it->second.timeout ? dns::Outcome::kTemporary : dns::Outcome::kNoData;
        if (rs.outcome == dns::Outcome::kTemporary) rs.error = "DNS timeout for " + name;
        return rs;
    }

    // As dns::Resolver gives names: lower-case, no trailing dot.
    static std::string normal(std::string name) {
        if (!name.empty() && name.back() == '.') name.pop_back();
        return util::ascii_lower(name);
    }

    std::map<std::string, Name> names_;
};

namespace detail {
template <class T>
io::Task<void> store_result(io::Task<T> task, std::optional<T>* out) {
    *out = co_await std::move(task);
}
}  // namespace detail

// Runs a task over a FakeZone to its end (it never suspends).
template <class T>
T run_now(io::Task<T> task) {
    std::optional<T> out;
    io::spawn(detail::store_result(std::move(task), &out));
    return std::move(*out);
}

}  // namespace ringpost::spf::test
