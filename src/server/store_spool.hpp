// smtp::Spool over the store's group-commit stage: hands each accepted
// message to the commit thread, logs it once it is durable, and then hands
// it, still in memory, to the delivery engine (which otherwise finds it in
// the spool).
#pragma once

#include <string>

#include "smtp/connection.hpp"

namespace ringpost::store {
class CommitStage;
}
namespace ringpost::delivery {
class DeliveryEngine;
}

namespace ringpost::server {

class StoreSpool final : public smtp::Spool {
public:
    // `primary_domain`: the first local domain, home of the bare "postmaster"
    // recipient that RFC 5321 4.5.1 requires us to accept.
    // `engine` may be null (no delivery: the message waits in the spool).
    StoreSpool(store::CommitStage& stage, std::string primary_domain, delivery::DeliveryEngine* engine)
        : stage_(stage), primary_domain_(std::move(primary_domain)), engine_(engine) {}
    void commit(smtp::AcceptedMessage message, std::function<void(const Result<void>&)> done) override;

private:
    store::CommitStage& stage_;
    std::string primary_domain_;
    delivery::DeliveryEngine* engine_;
};

}  // namespace ringpost::server
