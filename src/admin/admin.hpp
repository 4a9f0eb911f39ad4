// Administration commands (user, queue, mailbox) and the admin socket.
//
// One implementation, two transports: run_admin_command() executes a command
// against a Store and returns its output, exit code and messages. The CLI
// first tries the running server's unix socket (call_admin_server); the
// server runs the same function on its own Store (AdminServer). Only when no
// server listens does the CLI open the Store itself -- RocksDB allows a
// single writer process, so going through the server is what lets
// `ringpost queue delete` work while `ringpost serve` runs.
// The commands themselves: admin/command_table.hpp. Wire format: docs/CLI.md
// and admin/protocol.hpp.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "admin/command_table.hpp"
#include "util/result.hpp"

namespace ringpost::store {
class Store;
}
namespace ringpost::delivery {
class DeliveryEngine;
}
namespace ringpost::config {
struct Config;
}
namespace ringpost::metrics {
class Registry;
}

namespace ringpost::admin {

// Exit codes, as a shell user expects them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // operational: no such queue ID, store error, ...
inline constexpr int kExitUsage = 2;     // bad command line, bad configuration, bad input

// args: the command words, e.g. {"queue", "show", "0123456789ABCDEF"}: group
// and name select the command table's entry, the rest are its operands.
// stdin_data: only `user add` reads it (the password, first line).
// Appends the command's output to `out` (byte-exact: `mailbox show` and
// `queue show` include the stored message unchanged) and one-line messages
// "ringpost: ..." to `err`; returns the exit code. With OutputFormat::kJson
// `out` gets one JSON document for a success and nothing for a failure
// (command_table.hpp); messages stay text.
int run_admin_command(store::Store& store, const std::vector<std::string>& args, std::string_view stdin_data,
                      std::string& out, std::string& err);

// What `queue flush` and `queue bounce` need besides the store: the
// configuration (host name and local domains for the bounce's DSN; the
// built-in defaults when null) and, inside the server, the delivery engine
// to wake up (null when the CLI works on the store directly).
// `metrics`: the server's registry (null outside the server).
struct AdminExtras {
    const config::Config* config = nullptr;
    delivery::DeliveryEngine* engine = nullptr;
    // Held around each command when set: the admin socket and the HTTP
    // admin API then run commands one at a time between them, as the
    // socket alone always did.
    std::mutex* serial = nullptr;
    const metrics::Registry* metrics = nullptr;
};
int run_admin_command(store::Store& store, const AdminExtras& extras, const std::vector<std::string>& args,
                      std::string_view stdin_data, std::string& out, std::string& err,
                      OutputFormat format = OutputFormat::kText);

// The --json documents of `queue summary` and `queue list`, as
// run_admin_command makes them, from ONE read of the spool (the status
// page shows both; a spool of a million messages is read once per
// refresh, not twice). Holds extras.serial like a command.
struct QueueStatusJson {
    std::string summary;
    std::string list;
};
Result<QueueStatusJson> queue_status_json(store::Store& store, const AdminExtras& extras);

// The command table's `writes` flag (command_table.hpp) of the command `args`
// names: true for commands that modify the store (user add/del, queue
// delete/flush/bounce); the CLI opens the store read-only for the others when
// it works without a server. False for an unknown command.
bool admin_command_writes(const std::vector<std::string>& args);

// Client side of the admin socket. Returns:
//   nullopt      no server is listening (socket missing or refusing): run the command directly;
//   exit code    the server ran the command; out/err hold what it produced;
//   Error        a server is there but the exchange failed (permissions, protocol, timeout).
// `format` travels with the request (protocol.hpp).
Result<std::optional<int>> call_admin_server(const std::string& socket_path, const std::vector<std::string>& args,
                                             std::string_view stdin_data, std::string& out, std::string& err,
                                             OutputFormat format = OutputFormat::kText);

// Server side: one plain blocking thread (admin commands do blocking Store
// reads; they must never run on a ring thread). One command per connection,
// one connection at a time: admin traffic is rare, and serialising it keeps
// e.g. two concurrent `queue delete`s trivially correct.
class AdminServer {
public:
    AdminServer() = default;
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    // Binds `socket_path` (mode 0600; a stale socket left by a crash is
    // replaced, a live one is an error) and starts the thread.
    Result<void> start(store::Store& store, const std::string& socket_path, AdminExtras extras = {});
    // Finishes the command in progress, stops the thread, removes the socket. Idempotent.
    void stop();

private:
    void run();
    void serve_connection(int fd);

    store::Store* store_ = nullptr;
    AdminExtras extras_;
    std::string path_;
    int listen_fd_ = -1;
    int wake_fd_ = -1;            // eventfd: stop() wakes the poll() with it
    dev_t socket_dev_ = 0;        // identity of the socket file we created, so that
    ino_t socket_ino_ = 0;        // stop() does not remove a successor's socket
    std::thread thread_;
};

}  // namespace ringpost::admin
