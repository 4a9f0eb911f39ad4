// Whether a host name is an IPv4 or IPv6 address literal (no brackets): TLS
// checks such a peer against the certificate's IP SANs, not as a DNS name,
// and a self-signed certificate for it names it as "IP:".
#pragma once

#include <arpa/inet.h>

#include <string>

namespace ringpost::util {

inline bool is_ip_literal(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace ringpost::util
