// Test helpers for the DKIM verifier: a KeyFetcher over an in-memory table
// (name -> TXT records), which counts its lookups, and a way to run the
// verifier's task without a ring (the table answers at once, so the task
// never suspends).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dkim/verifier.hpp"

namespace ringpost::dkim::test {

class KeyMap final : public KeyFetcher {
public:
    // name: "sel._domainkey.example.org"; several records per name allowed.
    void add(const std::string& name, std::string record) { records_[name].push_back(std::move(record)); }
    // Every lookup of `name` fails as a DNS timeout would.
    void fail(const std::string& name) { failing_.push_back(name); }
    int lookups() const { return lookups_; }

    io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) override {
        ++lookups_;
        dns::RecordSet set;
        for (const auto& f : failing_)
            if (f == name) {
                set.error = "DNS timeout for " + name;
                co_return set;
            }
        auto it = records_.find(name);
        if (type != dns::kTypeTxt || it == records_.end()) {
            set.outcome = dns::Outcome::kNxDomain;
            set.error = "NXDOMAIN for " + name;
        } else {
            set.outcome = dns::Outcome::kAnswer;
            set.texts = it->second;
        }
        co_return set;
    }

private:
    std::map<std::string, std::vector<std::string>> records_;
    std::vector<std::string> failing_;
    int lookups_ = 0;
};

// Runs verify() to completion; KeyMap never suspends, so no ring is needed.
inline std::vector<Verification> verify_now(const Verifier& verifier, std::string_view message, KeyFetcher& keys,
                                            int64_t now) {
    std::vector<Verification> out;
    bool done = false;
    auto run = [](const Verifier& v, std::string_view m, KeyFetcher& k, int64_t t, std::vector<Verification>& o,
                  bool& d) -> io::Task<void> {
        o = co_await v.verify(m, k, t);
        d = true;
    };
    io::spawn(run(verifier, message, keys, now, out, done));
    if (!done) throw std::logic_error("verify() suspended without a ring");
    return out;
}

}  // namespace ringpost::dkim::test
