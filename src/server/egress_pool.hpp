// Which egress pool ([egress], docs/BULK.md) an accepted message will go
// out through, decided once, before its commit, and kept in its envelope
// (mail::Envelope::pool), so that it survives a restart. In order:
//  1. an X-Ringpost-Pool: NAME field, from a trusted client only
//     (relay_networks or authenticated, as dkim.sign = "trusted"); a NAME
//     that is no pool means the default pool (logged);
//  2. the pool of its submission login ([egress.users]);
//  3. the pool of its MAIL FROM domain ([egress.sender_domains], exact);
//  4. "" -- the default pool, looked up at delivery.
// Every X-Ringpost-Pool field is removed from the message, whoever sent it:
// it never leaves the server, and an untrusted client's is ignored. The
// filter runs before DKIM signing (filter_chain.hpp), so a signature never
// covers a field that is then removed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "smtp/message_filter.hpp"
#include "smtp/session.hpp"

namespace ringpost::server {

inline constexpr std::string_view kPoolHeader = "X-Ringpost-Pool";

// Removes every field called `name` (case-insensitive, with its
// continuation lines) from the header section at the start of `message`;
// the first one's value, unfolded, if there was one.
std::optional<std::string> take_header_fields(std::string& message, std::string_view name);

class EgressPools {
public:
    explicit EgressPools(config::EgressConfig config) : config_(std::move(config)) {}
    // Sets message.envelope.pool (and body_size) and removes the fields.
    void apply(smtp::AcceptedMessage& message) const;

private:
    bool has_pool(std::string_view name) const;
    config::EgressConfig config_;
};

// EgressPools as the first step of the message filter (on the ring: it
// reads the header section only).
class EgressPoolFilter final : public smtp::MessageFilter {
public:
    explicit EgressPoolFilter(const EgressPools& pools) : pools_(pools) {}
    io::Task<smtp::FilterVerdict> filter(smtp::AcceptedMessage& message) override;

private:
    const EgressPools& pools_;
};

}  // namespace ringpost::server
