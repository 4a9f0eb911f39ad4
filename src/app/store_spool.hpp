// smtp::Spool over the store's group-commit stage: hands each accepted
// message to the commit thread and logs it once it is durable.
#pragma once

#include "smtp/connection.hpp"

namespace ringpost::store {
class CommitStage;
}

namespace ringpost::app {

class StoreSpool final : public smtp::Spool {
public:
    explicit StoreSpool(store::CommitStage& stage) : stage_(stage) {}
    void commit(smtp::AcceptedMessage message, std::function<void(bool ok)> done) override;

private:
    store::CommitStage& stage_;
};

}  // namespace ringpost::app
