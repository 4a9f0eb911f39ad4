// Which accepted messages are DKIM-signed and with which keys ([dkim],
// docs/DKIM.md), and the signing itself. Mail is signed only when it comes
// from a trusted client (the `dkim.sign` rule) and has a signing domain:
// the one configured for its submission login, else the domain of its
// From: address or the closest configured parent of it (news.example.com
// is signed as example.com, which DMARC's relaxed alignment accepts).
// Every key of that domain adds one signature (RSA and Ed25519 side by
// side, RFC 8463 5). Pure apart from loading the keys: the filter
// (dkim_filter.hpp) decides on the ring and signs on a pool.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dkim/signer.hpp"
#include "smtp/session.hpp"
#include "util/result.hpp"

namespace ringpost::server {

class DkimSigning {
public:
    // Loads every configured key; throws config::ConfigError naming the key
    // file and what is wrong with it. Null when [dkim.domains] is empty.
    static std::unique_ptr<DkimSigning> load(const config::DkimConfig& config);
    // For tests: the keys given in memory, per domain in selector order.
    struct DomainKeys {
        std::string domain;
        std::vector<std::pair<std::string, dkim::SigningKey>> selectors;
    };
    DkimSigning(const config::DkimConfig& config, std::vector<DomainKeys> keys);
    // The signature specs point at the keys it holds.
    DkimSigning(const DkimSigning&) = delete;
    DkimSigning& operator=(const DkimSigning&) = delete;

    // The domain to sign `message` as, or "" when it is not signed.
    // Reads the header section only; cheap enough for the ring.
    std::string signing_domain(const smtp::AcceptedMessage& message) const;
    // Puts one DKIM-Signature field per key of `domain` in front of the
    // message (envelope.body_size follows). `now` is t=.
    Result<void> sign(smtp::AcceptedMessage& message, std::string_view domain, int64_t now) const;

    size_t key_count() const;

private:
    bool trusted(const smtp::MessageOrigin& origin) const;
    const DomainKeys* keys_of(std::string_view domain) const;

    config::DkimConfig config_;
    std::vector<DomainKeys> keys_;
    // One spec per key, in the order of keys_, pointing into keys_.
    std::vector<std::vector<dkim::SignatureSpec>> specs_;
};

// The domain of the first mailbox of the message's first From: field,
// lower-cased; "" when there is none.
std::string from_domain(std::string_view message);

}  // namespace ringpost::server
