// AdminServer: the server end of the admin socket (see admin.hpp). A plain
// thread blocked in poll() on the listening socket and an eventfd, so that
// stop() can wake it without closing a descriptor another thread is using.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "admin/admin.hpp"
#include "admin/protocol.hpp"
#include "util/log.hpp"

namespace ringpost::admin {
namespace {

Error sys_error(const std::string& what) { return make_error(what + ": " + std::strerror(errno), errno); }

// The socket is 0600 already; checking the peer too costs nothing and keeps
// a wrongly-permissioned directory or socket from handing out admin rights.
bool peer_allowed(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    return cred.uid == ::geteuid() || cred.uid == 0;
}

// Words for the log line: the command, never standard input (a password).
std::string command_words(const std::vector<std::string>& args) {
    std::string s;
    for (size_t i = 0; i < args.size() && i < 4; ++i) {
        if (i) s += ' ';
        s += args[i].substr(0, 256);
    }
    return s;
}

}  // namespace

AdminServer::~AdminServer() { stop(); }

Result<void> AdminServer::start(store::Store& store, const std::string& socket_path, AdminExtras extras) {
    if (thread_.joinable()) return make_error("admin server already started");
    extras_ = extras;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path)
        return make_error("admin socket path \"" + socket_path + "\" is empty or too long", ENAMETOOLONG);
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

    // A socket file left by a crashed server refuses connections: replace it.
    // One that accepts belongs to a live server: do not steal it. Anything
    // that is not a socket is someone's file: do not delete it.
    struct stat st{};
    if (::lstat(socket_path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return make_error("admin socket path " + socket_path + " exists and is not a socket", EEXIST);
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) return sys_error("socket");
        int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        int saved = errno;
        ::close(probe);
        if (rc == 0) return make_error("another ringpost is already listening on " + socket_path, EADDRINUSE);
        if (saved != ECONNREFUSED) {
            errno = saved;
            return sys_error("probe " + socket_path);
        }
        if (::unlink(socket_path.c_str()) != 0 && errno != ENOENT) return sys_error("remove stale " + socket_path);
    }

    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sys_error("socket");
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        auto e = sys_error("bind " + socket_path);
        ::close(fd);
        return e;
    }
    // chmod before listen(): until listen() nobody can connect, so there is
    // no window in which the umask-derived mode lets other users in.
    if (::chmod(socket_path.c_str(), 0600) != 0 || ::lstat(socket_path.c_str(), &st) != 0 ||
        ::listen(fd, 16) != 0) {
        auto e = sys_error("set up " + socket_path);
        ::close(fd);
        ::unlink(socket_path.c_str());
        return e;
    }
    int wake = ::eventfd(0, EFD_CLOEXEC);
    if (wake < 0) {
        auto e = sys_error("eventfd");
        ::close(fd);
        ::unlink(socket_path.c_str());
        return e;
    }
    store_ = &store;
    path_ = socket_path;
    listen_fd_ = fd;
    wake_fd_ = wake;
    socket_dev_ = st.st_dev;
    socket_ino_ = st.st_ino;
    thread_ = std::thread([this] { run(); });
    log::info("admin_listening", {{"socket", path_}});
    return {};
}

void AdminServer::stop() {
    if (thread_.joinable()) {
        uint64_t one = 1;
        ssize_t n;
        do {
            n = ::write(wake_fd_, &one, sizeof one);
        } while (n < 0 && errno == EINTR);
        thread_.join();
    }
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
        // Remove the file only if it is still ours (a new server may have replaced it).
        struct stat st{};
        if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == socket_dev_ && st.st_ino == socket_ino_)
            ::unlink(path_.c_str());
    }
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
        wake_fd_ = -1;
    }
}

void AdminServer::run() {
    for (;;) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        int n = ::poll(fds, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            log::error("admin_poll_failed", {{"error", std::strerror(errno)}});
            return;
        }
        if (fds[1].revents) return;
        if (!(fds[0].revents & POLLIN)) continue;
        int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) {
            // ECONNABORTED etc. concern one client; EMFILE would spin, so back off briefly.
            if (errno == EMFILE || errno == ENFILE) ::usleep(100000);
            continue;
        }
        serve_connection(conn);
        ::close(conn);
    }
}

void AdminServer::serve_connection(int fd) {
    if (!peer_allowed(fd)) {
        log::warn("admin_peer_refused");
        return;
    }
    // One connection at a time: a client that stalls must not hold the admin thread for long.
    wire::set_timeout(fd, SO_RCVTIMEO, 10);
    wire::set_timeout(fd, SO_SNDTIMEO, 30);

    std::string out, err;
    int code = kExitUsage;
    std::string words;
    auto bytes = wire::read_to_eof(fd, wire::kMaxRequestBytes);
    if (!bytes) {
        err = "ringpost: bad admin request: " + bytes.error().message + "\n";
    } else if (auto req = wire::decode_request(*bytes); !req) {
        err = "ringpost: bad admin request: " + req.error().message + "\n";
    } else {
        words = command_words(req->args);
        try {
            std::unique_lock<std::mutex> serial;
            if (extras_.serial) serial = std::unique_lock(*extras_.serial);
            code = run_admin_command(*store_, extras_, req->args, req->stdin_data, out, err, req->format);
        } catch (const std::exception& e) {
            // A command must not take the admin thread (and the socket) down with it.
            out.clear();
            err = std::string("ringpost: internal error: ") + e.what() + "\n";
            code = kExitFailure;
        }
        explicit_bzero(req->stdin_data.data(), req->stdin_data.size());
    }
    if (bytes) explicit_bzero(bytes->data(), bytes->size());   // may hold a password
    log::info("admin_command", {{"cmd", words}, {"exit", code}});
    if (auto w = wire::write_all(fd, wire::encode_response(out, err, code)); !w)
        log::warn("admin_reply_failed", {{"cmd", words}, {"error", w.error().message}});
}

}  // namespace ringpost::admin
