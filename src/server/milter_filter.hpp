// The smtp::MessageFilter that hands each accepted message to the
// configured milters ([milters], docs/INBOUND.md "Milter") in order, after
// the egress pool step and before DKIM signing, so that the signature
// covers the headers a milter adds. Each milter's verdict: reject (its own
// 5xx reply, else 550 5.7.1), tempfail (its 4xx, else 451 4.7.1), discard
// (250 to the client, the message dropped and logged), or accept with its
// edits applied; a quarantine (SMFIR_QUARANTINE) accepts it on hold:
// spooled with the 250 but not delivered until `queue release`. A milter that cannot be reached, times out or breaks the
// protocol is handled by its on_failure: accept (fail open), tempfail or
// reject. Idle connections are kept per worker thread and reused.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "milter/client.hpp"
#include "server/milter_metrics.hpp"
#include "smtp/message_filter.hpp"

namespace ringpost::server {

class MilterFilter final : public smtp::MessageFilter {
public:
    // Throws std::runtime_error for an address the milter library cannot
    // read (the config check makes that a startup fault at worst).
    MilterFilter(const std::vector<config::MilterConfig>& milters, std::string hostname, smtp::Policy& policy);
    ~MilterFilter() override;
    io::Task<smtp::FilterVerdict> filter(smtp::AcceptedMessage& message) override;
    bool empty() const { return milters_.empty(); }

private:
    struct Milter {
        config::MilterConfig config;
        milter::Endpoint endpoint;
        milter::Timeouts timeouts;
        MilterMetrics metrics;
    };

    io::Task<smtp::FilterVerdict> run_one(size_t index, smtp::AcceptedMessage& message);
    io::Task<Result<milter::Outcome>> converse(size_t index, const milter::Transaction& t);
    smtp::FilterVerdict apply(const Milter& m, milter::Outcome& outcome, smtp::AcceptedMessage& message);
    smtp::FilterVerdict failed(const Milter& m, const smtp::AcceptedMessage& message, const Error& error) const;
    bool applies(const Milter& m, const smtp::AcceptedMessage& message) const;

    uint64_t id_ = 0;   // names this filter's idle connections
    std::vector<Milter> milters_;
    std::string hostname_;
    smtp::Policy& policy_;
};

}  // namespace ringpost::server
