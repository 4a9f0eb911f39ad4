// Connection paths, the key of connection sharing (see connection_path.hpp).
#include "delivery/connection_path.hpp"

namespace ringpost::delivery {

std::string ConnectionPath::key() const {
    // Space-separated: no field can hold a space (addresses, a port, a
    // policy name, a DNS name), so equal keys mean equal fields.
    std::string k = ip;
    k += ' ';
    k += std::to_string(port);
    k += ' ';
    k += tls_policy_name(tls);
    k += ' ';
    k += tls_name;
    k += ' ';
    k += source;
    return k;
}

ConnectionPath path_to(const Target& target, TlsPolicy policy, const std::string& source) {
    ConnectionPath p;
    p.source = source;
    p.ip = target.ip;
    p.port = target.port;
    p.tls = policy;
    if (policy == TlsPolicy::kVerify) p.tls_name = target.host;
    return p;
}

}  // namespace ringpost::delivery
