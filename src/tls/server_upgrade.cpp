#include "tls/server_upgrade.hpp"

#include <chrono>
#include <utility>

#include "tls/tls_metrics.hpp"
#include "util/log.hpp"

namespace ringpost::tls {

io::Task<std::unique_ptr<TlsStream>> start_server_tls(io::PlainStream& plain, ContextHolder& holder,
                                                      io::Duration timeout, std::string_view proto,
                                                      const std::string& client_ip, io::CancelSlot* slot) {
    std::shared_ptr<ServerContext> context = holder.get();
    if (!context) {
        log::error("tls_failed", {{"proto", proto}, {"client", client_ip}, {"error", "no server context"}});
        co_return nullptr;
    }
    std::unique_ptr<TlsStream> tls = TlsStream::server(plain.release_fd(), std::move(context));
    if (!tls) {
        log::error("tls_failed", {{"proto", proto}, {"client", client_ip}, {"error", "cannot create TLS session"}});
        co_return nullptr;
    }
    auto handshaking = tls->handshake(timeout, slot);
    Result<void> done = co_await std::move(handshaking);
    count_handshake(Direction::kInbound, proto, done.ok());
    if (!done) {
        log::info("tls_handshake_failed", {{"proto", proto}, {"client", client_ip}, {"error", done.error().message}});
        auto closing = tls->close(std::chrono::seconds(1));
        co_await std::move(closing);
        co_return nullptr;
    }
    log::info("tls", {{"proto", proto},
                      {"client", client_ip},
                      {"version", tls->tls_version()},
                      {"cipher", tls->tls_cipher()}});
    co_return std::move(tls);
}

io::Task<bool> upgrade_to_tls(std::unique_ptr<io::Stream>& stream, ContextHolder& holder, io::Duration timeout,
                              std::string_view proto, const std::string& client_ip, io::CancelSlot* slot) {
    auto* plain = dynamic_cast<io::PlainStream*>(stream.get());
    if (plain == nullptr) co_return false;
    auto starting = start_server_tls(*plain, holder, timeout, proto, client_ip, slot);
    std::unique_ptr<TlsStream> tls = co_await std::move(starting);
    if (!tls) co_return false;
    stream = std::move(tls);
    co_return true;
}

}  // namespace ringpost::tls
