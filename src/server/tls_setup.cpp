#include "server/tls_setup.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "tls/self_signed.hpp"
#include "util/log.hpp"

namespace ringpost::server {

Result<std::unique_ptr<TlsSetup>> TlsSetup::create(const config::Config& config) {
    tls::ServerConfig sc;
    sc.cert_file = config.tls.cert;
    sc.key_file = config.tls.key;
    sc.min_version = config.tls.min_version;
    sc.ciphers = config.tls.ciphers;
    sc.ciphersuites = config.tls.ciphersuites;
    if (sc.cert_file.empty()) {
        const std::string dir = config.data_dir + "/tls";
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            return make_error("cannot create " + dir + ": " + std::strerror(errno));
        sc.cert_file = dir + "/cert.pem";
        sc.key_file = dir + "/key.pem";
        auto made = tls::ensure_self_signed(sc.cert_file, sc.key_file, config.hostname);
        if (!made) return made.error();
        if (*made)
            log::warn("tls_self_signed_generated",
                      {{"cert", sc.cert_file}, {"key", sc.key_file}, {"hostname", config.hostname},
                       {"hint", "set [tls] cert and key to a certificate clients trust"}});
    }
    auto ctx = tls::ServerContext::create(sc);
    if (!ctx) return ctx.error();
    log::info("tls_loaded", {{"cert", sc.cert_file}, {"certificate", (*ctx)->summary()}});
    return std::unique_ptr<TlsSetup>(new TlsSetup(std::move(sc), std::move(ctx).value()));
}

Result<void> TlsSetup::reload() {
    auto ctx = tls::ServerContext::create(server_config_);
    if (!ctx) return ctx.error();
    log::info("tls_reloaded", {{"cert", server_config_.cert_file}, {"certificate", (*ctx)->summary()}});
    holder_.set(std::move(ctx).value());
    return {};
}

}  // namespace ringpost::server
