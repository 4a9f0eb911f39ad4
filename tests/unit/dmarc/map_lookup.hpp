// Test helpers: DNS answers from a map (MapLookup), and running a task that
// never suspends (every MapLookup answer is ready at once) to its value.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dmarc/lookup.hpp"

namespace ringpost::dmarc::test {

class MapLookup final : public DnsLookup {
public:
    // TXT records of `name` (several strings of one record already joined).
    void txt(const std::string& name, std::vector<std::string> texts) {
        dns::RecordSet set;
        set.outcome = dns::Outcome::kAnswer;
        set.texts = std::move(texts);
        sets_[{name, dns::kTypeTxt}] = std::move(set);
    }
    void outcome(const std::string& name, uint16_t type, dns::Outcome outcome) {
        dns::RecordSet set;
        set.outcome = outcome;
        set.error = "test outcome";
        sets_[{name, type}] = std::move(set);
    }
    void address(const std::string& name) {
        dns::RecordSet set;
        set.outcome = dns::Outcome::kAnswer;
        set.addresses = {{"192.0.2.1", 2}};
        sets_[{name, dns::kTypeA}] = std::move(set);
    }
    // Names nobody set up do not exist.
    io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) override {
        asked.push_back(name);
        auto it = sets_.find({name, type});
        if (it != sets_.end()) co_return it->second;
        dns::RecordSet nx;
        nx.outcome = dns::Outcome::kNxDomain;
        co_return nx;
    }
    std::vector<std::string> asked;

private:
    std::map<std::pair<std::string, uint16_t>, dns::RecordSet> sets_;
};

template <class T>
T run_now(io::Task<T> task) {
    std::optional<T> out;
    auto body = [](io::Task<T> t, std::optional<T>& o) -> io::Task<void> { o.emplace(co_await std::move(t)); };
    io::spawn(body(std::move(task), out));
    EXPECT_TRUE(out.has_value()) << "the task suspended";
    return out ? std::move(*out) : T{};
}

}  // namespace ringpost::dmarc::test
