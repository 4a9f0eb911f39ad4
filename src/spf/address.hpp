// IP addresses as SPF handles them: the client's address (an IPv4-mapped
// IPv6 address counts as IPv4, RFC 7208 5/9/2), networks of ip4:/ip6: and
// the CIDR lengths of a/mx (5.6), and the text forms the macros need
// (%{i}: dotted quad or 32 dotted nibbles, %{c}: RFC 5952 text, 7.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringpost::spf {

struct Ip {
    bool v4 = true;
    uint8_t bytes[16] = {};   // IPv4: the first 4

    friend bool operator==(const Ip&, const Ip&) = default;
};

// The client's address; "::ffff:192.0.2.1" becomes IPv4. nullopt if not an address.
std::optional<Ip> client_ip(std::string_view text);
// ip4-network: a full dotted quad without leading zeros (5.6).
std::optional<Ip> parse_ip4(std::string_view text);
// ip6-network, as written (no mapping to IPv4).
std::optional<Ip> parse_ip6(std::string_view text);

// Whether `ip` is in `net`/`prefix`; addresses of different families never are.
bool in_network(const Ip& ip, const Ip& net, unsigned prefix);

// %{c}: "192.0.2.1", "2001:db8::1".
std::string ip_text(const Ip& ip);
// %{i}: "192.0.2.1", "2.0.0.1.0.d.b.8.0.0 ... .0.1" (lowercase nibbles).
std::string ip_dotted(const Ip& ip);

}  // namespace ringpost::spf
