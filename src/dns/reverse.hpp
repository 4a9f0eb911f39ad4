// Reverse-order names of an IP address: "4.3.2.1" for 1.2.3.4 and the 32
// nibbles of an IPv6 address (RFC 3596 2.5), as PTR lookups (with
// .in-addr.arpa / .ip6.arpa, RFC 1035 3.5) and DNS block lists (with the
// list's zone, RFC 5782 2.1 and 2.4) ask for them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ringpost::dns {

// The labels in reverse order without a suffix; nullopt for text that is
// not an IPv4 or IPv6 address.
std::optional<std::string> reversed_address(std::string_view ip);

// The PTR query name of `ip`: "4.3.2.1.in-addr.arpa", "...ip6.arpa".
std::optional<std::string> ptr_name(std::string_view ip);

}  // namespace ringpost::dns
