// What greylisting remembers things by (server/greylist.hpp): the client's
// network, the sender as postgrey normalises it, and the record names
// built from them. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::server {

// The client's network as text: "192.0.2.0/24", "2001:db8:1:2::/64" (the
// address masked to `prefix_v4` or `prefix_v6` bits), so that a pool of
// outbound servers retrying from another address of the network is the
// same client (postgrey --lookup-by-subnet).
std::string client_network(const uint8_t ip16[16], uint32_t prefix_v4, uint32_t prefix_v6);

// Lower-cased; in the local part a "+extension" is dropped and each
// number standing alone becomes '#' (postgrey's sender substitutions), so
// that the VERP or extension addresses of one mailing list make one
// sender rather than a new triplet per message.
std::string normalized_sender(std::string_view sender);

// Record names; the parts are separated by 0x1f, a byte no address has.
std::string triplet_key(std::string_view network, std::string_view sender, std::string_view recipient);
std::string client_key(std::string_view network);
bool is_client_key(std::string_view key);

}  // namespace ringpost::server
