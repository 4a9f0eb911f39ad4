// The server's TLS material from [tls]: the configured certificate and key,
// or a self-signed pair generated into <data_dir>/tls/ on first start (so
// that the default configuration offers STARTTLS), loaded into the
// listeners' ContextHolder; reload() re-reads the files on SIGHUP.
#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "tls/context_holder.hpp"
#include "util/result.hpp"

namespace ringpost::server {

class TlsSetup {
public:
    // Generates the self-signed pair if needed (logged), then loads it.
    static Result<std::unique_ptr<TlsSetup>> create(const config::Config& config);

    tls::ContextHolder& holder() { return holder_; }
    // Re-reads the certificate and key; on failure the current context stays
    // (and the error is returned for the log).
    Result<void> reload();

    const std::string& cert_path() const { return server_config_.cert_file; }

private:
    TlsSetup(tls::ServerConfig server_config, std::shared_ptr<tls::ServerContext> ctx)
        : server_config_(std::move(server_config)), holder_(std::move(ctx)) {}

    tls::ServerConfig server_config_;
    tls::ContextHolder holder_;
};

}  // namespace ringpost::server
