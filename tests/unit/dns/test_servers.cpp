// Dnsmasq child process and the in-process fake DNS server; see test_servers.hpp.
#include "test_servers.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ringpost::dns::test {
namespace {

int bound_udp_socket(uint16_t& port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        if (fd >= 0) ::close(fd);
        return -1;
    }
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
    return fd;
}

std::string find_dnsmasq() {
    for (const char* p : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"})
        if (::access(p, X_OK) == 0) return p;
    return {};
}

// One blocking probe query: does a DNS server answer on `port`?
bool answers(uint16_t port) {
    uint16_t unused;
    int fd = bound_udp_socket(unused);
    if (fd < 0) return false;
    Bytes q;
    put16(q, 0x4242);
    put16(q, 0x0100);
    put16(q, 1);
    for (int i = 0; i < 3; ++i) put16(q, 0);
    put_name(q, "probe.test");
    put16(q, 1);
    put16(q, 1);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(port);
    ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd p{fd, POLLIN, 0};
    bool ok = ::poll(&p, 1, 100) == 1;
    if (ok) {
        uint8_t buf[512];
        ok = ::recv(fd, buf, sizeof buf, 0) >= 12 && buf[0] == 0x42 && buf[1] == 0x42;
    }
    ::close(fd);
    return ok;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

uint16_t free_udp_port() {
    uint16_t port = 0;
    int fd = bound_udp_socket(port);
    if (fd >= 0) ::close(fd);
    return port;
}

std::unique_ptr<Dnsmasq> Dnsmasq::start(const std::vector<std::string>& args, std::string& why) {
    std::string bin = find_dnsmasq();
    if (bin.empty()) {
        why = "dnsmasq not installed (apt-get install dnsmasq-base, or tools/install-deps.sh)";
        return nullptr;
    }
    char tmpl[] = "/tmp/ringpost-dnsmasq-XXXXXX";
    if (!::mkdtemp(tmpl)) {
        why = "mkdtemp failed";
        return nullptr;
    }
    std::unique_ptr<Dnsmasq> d(new Dnsmasq);
    d->dir_ = tmpl;
    std::string log = d->dir_ + "/dnsmasq.log";
    for (int attempt = 0; attempt < 3; ++attempt) {
        uint16_t port = free_udp_port();
        std::vector<std::string> argv_s = {bin,
                                           "--no-daemon",
                                           "--conf-file=/dev/null",
                                           "--no-resolv",
                                           "--no-hosts",
                                           "--port=" + std::to_string(port),
                                           "--listen-address=127.0.0.1",
                                           "--bind-interfaces",
                                           "--pid-file=" + d->dir_ + "/dnsmasq.pid",
                                           "--local=/test/"};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = ::fork();
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        if (pid < 0) {
            why = "fork failed";
            return nullptr;
        }
        d->pid_ = pid;
        d->port_ = port;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (std::chrono::steady_clock::now() < deadline) {
            int status;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                d->pid_ = -1;
                break;
            }
            if (answers(port)) return d;
        }
        if (d->pid_ > 0) {
            ::kill(d->pid_, SIGKILL);
            ::waitpid(d->pid_, nullptr, 0);
            d->pid_ = -1;
        }
    }
    why = "dnsmasq did not start: " + read_file(log);
    return nullptr;
}

Dnsmasq::~Dnsmasq() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) {
        ::unlink((dir_ + "/dnsmasq.log").c_str());
        ::unlink((dir_ + "/dnsmasq.pid").c_str());
        ::rmdir(dir_.c_str());
    }
}

FakeDnsServer::FakeDnsServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = bound_udp_socket(port_);
    thread_ = std::thread([this] { loop(); });
}

FakeDnsServer::~FakeDnsServer() {
    stop_ = true;
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
}

void FakeDnsServer::loop() {
    while (!stop_ && fd_ >= 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 20) != 1) continue;
        uint8_t buf[1500];
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) continue;
        Question q = parse_query(buf, static_cast<size_t>(n));
        if (!q.ok) continue;
        ++queries_;
        if (auto reply = handler_(q))
            ::sendto(fd_, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
}

}  // namespace ringpost::dns::test
