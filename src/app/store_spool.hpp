// smtp::Spool over the store's group-commit stage: hands each accepted
// message to the commit thread and logs it once it is durable.
#pragma once

#include <string>

#include "smtp/connection.hpp"

namespace ringpost::store {
class CommitStage;
}

namespace ringpost::app {

class StoreSpool final : public smtp::Spool {
public:
    // `primary_domain`: the first local domain, home of the bare "postmaster"
    // recipient that RFC 5321 4.5.1 requires us to accept.
    StoreSpool(store::CommitStage& stage, std::string primary_domain)
        : stage_(stage), primary_domain_(std::move(primary_domain)) {}
    void commit(smtp::AcceptedMessage message, std::function<void(bool ok)> done) override;

private:
    store::CommitStage& stage_;
    std::string primary_domain_;
};

}  // namespace ringpost::app
