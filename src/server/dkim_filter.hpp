// The smtp::MessageFilter that DKIM-signs accepted mail before its commit:
// which messages and with which keys is DkimSigning's decision (made on the
// ring: it reads the header section only); the signing itself, 40 µs
// (Ed25519) to 300 µs (RSA-2048) of CPU per message, runs on a pool, so
// that a ring's other connections never wait for it. A signing failure
// answers 451 4.3.0 (the client tries again) instead of sending the
// message unsigned, as OpenDKIM's On-InternalError=tempfail.
#pragma once

#include "io/blocking_pool.hpp"
#include "server/dkim_signing.hpp"
#include "smtp/message_filter.hpp"

namespace ringpost::server {

class DkimFilter final : public smtp::MessageFilter {
public:
    DkimFilter(const DkimSigning& signing, io::BlockingPool& pool) : signing_(signing), pool_(pool) {}
    io::Task<smtp::FilterVerdict> filter(smtp::AcceptedMessage& message) override;

private:
    const DkimSigning& signing_;
    io::BlockingPool& pool_;
};

}  // namespace ringpost::server
