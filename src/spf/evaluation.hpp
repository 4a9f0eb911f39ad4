// One check_host() evaluation (RFC 7208 4, 5, 6) with its shared limits:
// the DNS-querying term and void lookup counters span every include and
// redirect of one check. Internal to src/spf (check_host.cpp drives it).
#pragma once

#include <string>
#include <vector>

#include "spf/check_host.hpp"
#include "spf/macro.hpp"
#include "spf/record.hpp"

namespace ringpost::spf {

// What check_host() of one domain gave, and for fail, where the
// explanation comes from: the exp= of the record that decided, expanded
// with that record's domain (6.2: not an include's, and a redirect's own).
struct Outcome {
    Result result = Result::kNone;
    std::string problem;
    std::string exp;          // exp= domain-spec, "" = none
    std::string exp_domain;   // %{d} for it
};

class Evaluation {
public:
    Evaluation(dns::Lookup& dns, MacroValues values, const Options& options)
        : dns_(dns), values_(std::move(values)), options_(options) {}

    io::Task<Outcome> check(std::string domain);
    // The expanded exp= text of a fail outcome; "" when there is none or it
    // cannot be had (6.2/4: then proceed as if there were no exp=).
    io::Task<std::string> explain(Outcome outcome);
    unsigned queries() const { return queries_; }

private:
    // A term's effect: no match, match, or the end of the check (an error).
    struct Step {
        bool matched = false;
        bool abort = false;
        Outcome outcome;
    };
    static Step no_match() { return {}; }
    static Step match() { return {true, false, {}}; }
    static Step fail(Result result, std::string problem) { return {false, true, {result, std::move(problem), {}, {}}}; }

    io::Task<Outcome> evaluate(const Record& record, std::string domain);
    io::Task<Step> term(const Term& term, std::string domain);
    io::Task<Step> address_match(std::string name, unsigned cidr4, unsigned cidr6);
    io::Task<Step> mx(const Term& term, std::string name);
    io::Task<Step> include(std::string name);
    io::Task<std::vector<std::string>> validated_names();
    // %{d} = domain, and %{p} found if `text` uses it, before an expansion.
    io::Task<void> prepare(std::string text, std::string domain);
    io::Task<std::string> target(std::string spec, std::string domain);
    io::Task<dns::RecordSet> query(std::string name, uint16_t type);
    // A void lookup (NXDOMAIN, NODATA) counted: false once over the limit.
    bool count_void(const dns::RecordSet& rs);

    dns::Lookup& dns_;
    MacroValues values_;
    const Options& options_;
    unsigned dns_terms_ = 0;
    unsigned voids_ = 0;
    unsigned queries_ = 0;
};

// Whether `name` can be asked for: labels of 1 to 63 bytes, 253 in all.
bool queryable(std::string_view name);

}  // namespace ringpost::spf
