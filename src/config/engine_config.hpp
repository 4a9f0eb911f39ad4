// From the [delivery] configuration to the engine's settings.
#pragma once

#include "config/config.hpp"
#include "delivery/engine.hpp"

namespace ringpost::config {

// Throws ConfigError for what load_config could not check alone.
delivery::EngineConfig engine_config(const Config& config);
// The resolver settings ([delivery] dns_servers), for the delivery engine
// and the workers' inbound checks alike.
dns::ResolverOptions resolver_options(const Config& config);
// The site limits: defaults from [delivery] and [shaping], and the
// [shaping.sites] rules.
delivery::ShapingConfig shaping_config(const Config& config);
// The [egress] sources and pools (an unset ehlo is the hostname).
delivery::EgressConfig egress_config(const Config& config);

// Whether an address is in one of the local domains (case-insensitive);
// a bare "postmaster" counts as local.
bool is_local_address(const RelayConfig& relay, std::string_view address);

}  // namespace ringpost::config
