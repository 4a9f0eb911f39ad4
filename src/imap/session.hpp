// The IMAP4rev1 session (RFC 3501 plus the extensions in CAPABILITY): the
// protocol logic for one connection, without sockets. The driver
// (connection.cpp) reads commands with the CommandReader, parses them and
// hands each to execute(); handlers are coroutines over the Backend and
// append their responses to the driver's output string.
//
// States: not authenticated, authenticated, selected, logout. The selected
// mailbox's view (UIDs and flags by sequence number) is kept here; changes
// made by others are reported by refresh() only where RFC 3501 7.4.1 allows
// it (never during FETCH, STORE or SEARCH), EXPUNGE responses in descending
// order so that the numbers sent stay valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/backend.hpp"
#include "imap/command.hpp"
#include "io/task.hpp"

namespace ringpost::imap {

struct SessionConfig {
    std::string hostname = "localhost";
    // Plain-text passwords allowed (loopback, or TLS once it exists);
    // otherwise LOGINDISABLED and no AUTH=PLAIN.
    bool plaintext_allowed = true;
    uint32_t max_bad_commands = 20;   // 0 = unlimited
};

struct ClientInfo {
    std::string ip;
    uint16_t port = 0;
};

enum class State : uint8_t { kNotAuthenticated, kAuthenticated, kSelected, kLogout };

// What the driver does after a command or line.
enum class Next : uint8_t {
    kCommand,    // read the next command
    kLine,       // the next unit is a plain line (AUTHENTICATE response, IDLE's DONE): line()
    kClose,      // flush and close (LOGOUT, too many errors)
};

class Session {
public:
    Session(const SessionConfig& config, Backend& backend, ClientInfo client);

    void greet(std::string& out);
    io::Task<Next> execute(const Command& cmd, std::string& out);
    // After Next::kLine: the line the client sent.
    io::Task<Next> line(std::string text, std::string& out);
    // A command the parser or reader refused.
    Next bad(const std::string& tag, std::string_view text, std::string& out);
    // Re-list the selected mailbox and report what changed (NOOP, IDLE, notifications).
    io::Task<void> refresh(std::string& out);
    // "* BYE" for a server shutdown or autologout.
    void shutdown(std::string& out);
    void timeout(std::string& out);

    State state() const { return state_; }
    bool idling() const { return idling_; }
    const std::string& user() const { return user_; }
    // The selected mailbox ("" when none): the driver watches it.
    std::string selected_mailbox() const { return sel_ ? sel_->name : std::string(); }
    uint32_t bad_commands() const { return bad_commands_; }
    uint32_t commands() const { return commands_; }

    // The capability list (without "CAPABILITY").
    std::string capabilities() const;

private:
    struct Selected {
        std::string name;
        bool read_only = false;
        uint32_t uidvalidity = 0;
        uint32_t uidnext = 1;
        std::vector<MessageInfo> messages;   // by sequence number - 1
    };

    io::Task<Next> login(const Command& cmd, std::string user, std::string password, std::string& out);
    io::Task<void> list(const Command& cmd, std::string& out);
    io::Task<void> status(const Command& cmd, std::string& out);
    io::Task<void> select(const Command& cmd, std::string& out);
    io::Task<void> mailbox_op(const Command& cmd, std::string& out);
    io::Task<void> append(const Command& cmd, std::string& out);
    io::Task<void> expunge(const Command& cmd, std::string& out);
    io::Task<void> search(const Command& cmd, std::string& out);
    io::Task<void> fetch(const Command& cmd, std::string& out);
    io::Task<void> store(const Command& cmd, std::string& out);
    io::Task<void> copy(const Command& cmd, std::string& out);
    io::Task<bool> search_text(const SearchKey& key, const MessageInfo& m, std::optional<std::string>& data);
    io::Task<bool> matches(const SearchKey& key, uint32_t seq, const MessageInfo& m, std::optional<std::string>& data);

    // Sequence numbers (or UIDs with `uid`) of `set` as indexes into sel_->messages.
    std::vector<size_t> resolve(const SequenceSet& set, bool uid) const;
    // Removes the expunged UIDs from the view, sending EXPUNGE responses.
    void expunged(const std::vector<uint32_t>& uids, std::string& out);
    void no_from_error(const std::string& tag, const Error& e, std::string& out, bool trycreate = false);
    void tagged(std::string& out, const std::string& tag, std::string_view status, std::string_view text);

    SessionConfig config_;
    Backend& backend_;
    ClientInfo client_;
    State state_ = State::kNotAuthenticated;
    std::string user_;
    std::optional<Selected> sel_;
    bool idling_ = false;
    std::string idle_tag_;
    std::string auth_tag_;   // AUTHENTICATE waiting for its response line
    uint32_t bad_commands_ = 0;
    uint32_t commands_ = 0;
};

}  // namespace ringpost::imap
