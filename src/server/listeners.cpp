#include "server/listeners.hpp"

namespace ringpost::server {
namespace {

// Each service's addresses and where its sockets go in WorkerListeners.
struct ServiceAddresses {
    const std::vector<config::ListenAddress>* addresses;
    std::vector<io::Fd> WorkerListeners::*sockets;
};

std::vector<ServiceAddresses> services(const config::Config& c) {
    return {{&c.smtp.listen, &WorkerListeners::smtp},     {&c.pop3.listen, &WorkerListeners::pop3},
            {&c.imap.listen, &WorkerListeners::imap},     {&c.submission.listen, &WorkerListeners::submission},
            {&c.smtps.listen, &WorkerListeners::smtps},   {&c.pop3s.listen, &WorkerListeners::pop3s},
            {&c.imaps.listen, &WorkerListeners::imaps},
            {&c.http.listen, c.http.tls ? &WorkerListeners::https : &WorkerListeners::http}};
}

}  // namespace

Result<std::vector<WorkerListeners>> bind_listeners(const config::Config& config, unsigned workers) {
    std::vector<WorkerListeners> listeners(workers);
    for (const auto& service : services(config)) {
        for (const auto& addr : *service.addresses) {
            auto group = io::listen_tcp_group(addr.host, addr.port, workers);
            if (!group) return group.error();
            for (unsigned i = 0; i < workers; ++i) (listeners[i].*service.sockets).push_back(std::move(group.value()[i]));
        }
    }
    return listeners;
}

unsigned listen_address_count(const config::Config& config) {
    size_t n = 0;
    for (const auto& service : services(config)) n += service.addresses->size();
    return static_cast<unsigned>(n);
}

std::string join_addresses(const std::vector<config::ListenAddress>& addresses) {
    std::string s;
    for (const auto& a : addresses) {
        if (!s.empty()) s += ',';
        s += a.text;
    }
    return s;
}

}  // namespace ringpost::server
