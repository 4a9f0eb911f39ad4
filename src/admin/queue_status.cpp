// `queue summary` and `queue list` from one read of the spool (admin.hpp,
// queue_status_json), for the status page.
#include <optional>

#include "admin/admin.hpp"
#include "admin/queue_views.hpp"
#include "store/store.hpp"

namespace ringpost::admin {

Result<QueueStatusJson> queue_status_json(store::Store& store, const AdminExtras& extras) {
    std::optional<std::lock_guard<std::mutex>> serial;
    if (extras.serial) serial.emplace(*extras.serial);
    auto envelopes = store.spool().list();
    if (!envelopes) return envelopes.error();
    auto summary = detail::summarize_queue(store, extras, *envelopes);
    if (!summary) return summary.error();
    QueueStatusJson out;
    detail::write_json(out.summary, detail::summary_json(*summary));
    detail::write_json(out.list, detail::listing_json(detail::list_queue(std::move(*envelopes), extras)));
    return out;
}

}  // namespace ringpost::admin
