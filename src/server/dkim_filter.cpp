#include "server/dkim_filter.hpp"

#include <ctime>

#include "util/log.hpp"

namespace ringpost::server {

io::Task<smtp::FilterVerdict> DkimFilter::filter(smtp::AcceptedMessage& message) {
    const std::string domain = signing_.signing_domain(message);
    if (domain.empty()) co_return smtp::FilterVerdict{};
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    auto signing = [this, &message, &domain, now] { return signing_.sign(message, domain, now); };
    Result<void> signed_ = co_await pool_.run(signing);
    if (!signed_) {
        log::error("dkim_failed", {{"qid", message.envelope.queue_id}, {"domain", domain},
                                   {"error", signed_.error().message}});
        co_return smtp::FilterVerdict{451, "4.3.0", "Error: the message could not be signed, try again later"};
    }
    log::debug("dkim_signed", {{"qid", message.envelope.queue_id}, {"domain", domain}});
    co_return smtp::FilterVerdict{};
}

}  // namespace ringpost::server
