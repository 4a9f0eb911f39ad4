// CLI side of the admin socket: send one command to a running server.
// "Nobody listening" (no socket file, or a stale one left by a crash) is not
// an error but the signal to open the store directly.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "admin/admin.hpp"
#include "admin/protocol.hpp"

namespace ringpost::admin {
namespace {

// Closes the descriptor on every return path.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

Result<std::optional<int>> call_admin_server(const std::string& socket_path, const std::vector<std::string>& args,
                                             std::string_view stdin_data, std::string& out, std::string& err,
                                             OutputFormat format) {
    auto request = wire::encode_request(args, stdin_data, format);
    if (!request) return request.error();

    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path)
        return make_error("admin socket path \"" + socket_path + "\" is empty or too long", ENAMETOOLONG);
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (s.fd < 0) return make_error(std::string("socket: ") + std::strerror(errno), errno);
    int rc;
    do {
        rc = ::connect(s.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR) return std::optional<int>{};
        return make_error("cannot connect to admin socket " + socket_path + ": " + std::strerror(errno), errno);
    }

    // Generous: `queue list` over a large spool may take a while; a hung
    // server should still not hang the shell forever.
    wire::set_timeout(s.fd, SO_SNDTIMEO, 30);
    wire::set_timeout(s.fd, SO_RCVTIMEO, 300);
    if (auto w = wire::write_all(s.fd, *request); !w) return w.error();
    // End of request: the server reads to EOF, so no request-length parsing is needed before execution.
    ::shutdown(s.fd, SHUT_WR);
    auto reply = wire::read_to_eof(s.fd, SIZE_MAX);
    if (!reply) return reply.error();
    auto code = wire::decode_response(*reply, out, err);
    if (!code) return code.error();
    return std::optional<int>{*code};
}

}  // namespace ringpost::admin
