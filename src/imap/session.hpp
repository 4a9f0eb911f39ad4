// The IMAP4rev1 session (RFC 3501 plus the extensions in CAPABILITY): the
// protocol logic for one connection, without sockets. The driver
// (connection.cpp) reads commands with the CommandReader, parses them and
// hands each to execute(); handlers are coroutines over the Backend and
// append their responses to the driver's output string.
//
// States: not authenticated, authenticated, selected, logout. The selected
// mailbox's view (UIDs and flags by sequence number) is kept here. The
// session watches the selected mailbox (Backend::watch); changes made by
// others (other sessions, POP3, local delivery) are reported as untagged
// EXISTS / EXPUNGE / FETCH FLAGS before the tagged reply of the next
// command that allows it (RFC 3501 5.2, 7.4.1: EXPUNGE never during FETCH,
// STORE or SEARCH), and at once during IDLE; EXPUNGE responses go in
// descending order so that the numbers sent stay valid. Its own writes are
// not reported back to it (the watch handle is their origin).
//
// Large FETCH output is handed to the driver's flush function as it grows,
// and big message sections are read from the store in chunks, so a session
// never holds a whole large message or a whole mailbox of replies.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "imap/backend.hpp"
#include "imap/command.hpp"
#include "imap/command_budget.hpp"
#include "io/task.hpp"

namespace ringpost::imap {

struct SessionConfig {
    std::string hostname = "localhost";
    // Plain-text passwords allowed without TLS (the driver grants it to
    // loopback clients); otherwise, until TLS is on, LOGINDISABLED and no
    // AUTH=PLAIN (RFC 3501 6.2.3, RFC 2595 3.2).
    bool plaintext_allowed = true;
    // STARTTLS (RFC 3501 6.2.1) is offered and accepted, before login and
    // before TLS. The driver sets it when it has a TLS context.
    bool starttls = false;
    uint32_t max_bad_commands = 20;   // 0 = unlimited
    // FETCH output is flushed once it exceeds this; message sections larger
    // than stream_threshold are read from the store in chunks of this size.
    size_t flush_threshold = 64 * 1024;
    uint64_t stream_threshold = 256 * 1024;
    // SEARCH, FETCH and LIST end with NO [LIMIT] after this long (0 = no
    // limit), and let the ring's other connections run after every
    // ring_slice of work (command_budget.hpp). clock: steady_clock if empty.
    std::chrono::milliseconds command_time_limit{30000};
    std::chrono::microseconds ring_slice{1000};
    CommandClock clock;
};

// Writes `out` to the client and clears it; false if the client is gone.
using Flush = std::function<io::Task<bool>(std::string& out)>;

struct ClientInfo {
    std::string ip;
    uint16_t port = 0;
    bool tls = false;   // the connection is encrypted (imaps, or after STARTTLS)
};

enum class State : uint8_t { kNotAuthenticated, kAuthenticated, kSelected, kLogout };

// What the driver does after a command or line.
enum class Next : uint8_t {
    kCommand,    // read the next command
    kLine,       // the next unit is a plain line (AUTHENTICATE response, IDLE's DONE): line()
    kClose,      // flush and close (LOGOUT, too many errors)
    kStartTls,   // STARTTLS: send the tagged OK, discard unread input, do the
                 // TLS handshake, then tls_started() (or close on failure)
};

class Session {
public:
    Session(const SessionConfig& config, Backend& backend, ClientInfo client);

    // The driver's output path for long replies (without one, FETCH builds
    // its whole reply in `out`), and a function called (on the ring) when
    // the selected mailbox changed, to wake an IDLE wait.
    void set_flush(Flush flush) { flush_ = std::move(flush); }
    void set_wake(std::function<void()> wake);

    void greet(std::string& out);
    io::Task<Next> execute(const Command& cmd, std::string& out);
    // After Next::kLine: the line the client sent.
    io::Task<Next> line(std::string text, std::string& out);
    // A command the parser or reader refused.
    Next bad(const std::string& tag, std::string_view text, std::string& out);
    // Re-list the selected mailbox and report what changed (NOOP, IDLE).
    io::Task<void> refresh(std::string& out);
    // Another party changed the selected mailbox since the last refresh.
    bool changed() const { return notice_->changed; }
    // The connection broke during a command (a flush failed): close it.
    bool lost() const { return lost_; }
    // "* BYE" for a server shutdown or autologout.
    void shutdown(std::string& out);
    void timeout(std::string& out);
    // Next::kStartTls: the handshake succeeded. Passwords may now be sent;
    // the client must ask for the capabilities again (RFC 3501 6.2.1).
    void tls_started() { client_.tls = true; }

    State state() const { return state_; }
    bool idling() const { return idling_; }
    const std::string& user() const { return user_; }
    std::string selected_mailbox() const { return sel_ ? sel_->name : std::string(); }
    uint32_t bad_commands() const { return bad_commands_; }
    uint32_t commands() const { return commands_; }

    // The capability list (without "CAPABILITY").
    std::string capabilities() const;
    // Passwords may cross this connection (plaintext_allowed, or TLS is on).
    bool passwords_allowed() const { return config_.plaintext_allowed || client_.tls; }

private:
    struct Selected {
        std::string name;
        bool read_only = false;
        uint32_t uidvalidity = 0;
        uint32_t uidnext = 1;
        std::vector<MessageInfo> messages;   // by sequence number - 1
        std::vector<std::string> keywords;   // the mailbox's keyword table, as last sent in FLAGS
        // \Recent (RFC 3501 2.3.2): the UIDs this session got as recent,
        // ascending (see take_recent).
        std::vector<uint32_t> recent;

        bool is_recent(uint32_t uid) const { return std::binary_search(recent.begin(), recent.end(), uid); }
        // "* n RECENT": the messages in the view that are \Recent here.
        size_t recent_count() const;
    };

    io::Task<Next> dispatch(const Command& cmd, std::string& out);
    // dispatch's steps: the refusals before a command runs, the commands
    // answered at once (CAPABILITY, LOGOUT, STARTTLS, ENABLE, ID,
    // NAMESPACE), and one handler per command that waits for something:
    // those that end with the tagged reply in the table of handler_for,
    // LOGIN, AUTHENTICATE and IDLE (which may wait for a line) apart.
    using Handler = io::Task<void> (Session::*)(const Command& cmd, std::string& out);
    static Handler handler_for(CommandType type);
    Next refuse_not_allowed(const Command& cmd, std::string& out);
    Next refuse_invalid_name(const Command& cmd, std::string& out);
    Next answer_at_once(const Command& cmd, std::string& out);
    io::Task<void> noop(const Command& cmd, std::string& out);   // NOOP, CHECK
    io::Task<Next> login_command(const Command& cmd, std::string& out);
    io::Task<Next> authenticate(const Command& cmd, std::string& out);
    io::Task<void> close_mailbox(const Command& cmd, std::string& out);   // CLOSE, UNSELECT
    io::Task<Next> idle(const Command& cmd, std::string& out);
    io::Task<Next> login(const Command& cmd, std::string user, std::string password, std::string& out);
    io::Task<void> list(const Command& cmd, std::string& out);
    // LIST's pattern matching, off the ring when it is costly: every name
    // of `boxes`, and every level above one, that a pattern matches.
    io::Task<void> match_list_names(const ListArgs& a, const std::vector<MailboxStatus>& boxes,
                                    std::unordered_set<std::string>& matched);
    io::Task<void> status(const Command& cmd, std::string& out);
    io::Task<void> select(const Command& cmd, std::string& out);
    io::Task<void> mailbox_op(const Command& cmd, std::string& out);
    io::Task<void> append(const Command& cmd, std::string& out);
    io::Task<void> expunge(const Command& cmd, std::string& out);
    io::Task<void> search(const Command& cmd, std::string& out);
    io::Task<void> fetch(const Command& cmd, std::string& out);
    // One message's "* n FETCH (...)" response; false if it vanished.
    io::Task<bool> fetch_one(const std::vector<FetchItem>& items, size_t index, std::string& out);
    // A literal of `size` bytes read from [offset, offset + size) of the
    // message in chunks, flushed as it goes; false if the message vanished.
    io::Task<bool> stream_literal(uint32_t uid, uint64_t offset, uint64_t size, std::string& out);
    io::Task<bool> flush_if_over(std::string& out, size_t threshold);
    io::Task<void> store(const Command& cmd, std::string& out);
    io::Task<void> copy(const Command& cmd, std::string& out);
    // A SEARCH command's prepared keys and the message under test
    // (session_search.cpp).
    struct SearchContext;
    io::Task<void> load_for_search(const MessageInfo& m, bool body, SearchContext& ctx);
    io::Task<bool> search_text(const SearchKey& key, const MessageInfo& m, SearchContext& ctx);
    io::Task<bool> matches(const SearchKey& key, uint32_t seq, const MessageInfo& m, SearchContext& ctx);
    // Runs `work` through Backend::compute when `bytes` is large enough to
    // hold a ring for more than about a millisecond, in place otherwise.
    io::Task<void> off_ring(size_t bytes, std::function<void()> work);

    // Sequence numbers (or UIDs with `uid`) of `set` as indexes into sel_->messages.
    std::vector<size_t> resolve(const SequenceSet& set, bool uid) const;
    // \Recent for `fresh`, messages that s.messages just gained (SELECT, or
    // new mail reported as EXISTS): a read-write session claims the ones
    // above the mailbox's recent floor in `status` (Backend::claim_recent),
    // so no other session gets them; a read-only one (EXAMINE) takes them
    // as recent without claiming, as RFC 3501 2.3.2 asks when it cannot
    // tell whether it is the first to see them.
    io::Task<void> take_recent(Selected& s, const MailboxStatus& status, std::vector<uint32_t> fresh);
    // Removes the expunged UIDs (ascending) from the view, sending EXPUNGE
    // responses; linear in the view, pausing between ring slices.
    io::Task<void> expunged(const std::vector<uint32_t>& uids, std::string& out);
    void no_from_error(const std::string& tag, const Error& e, std::string& out, bool trycreate = false);
    // The time budget of one command, and its NO [LIMIT] when it ran out.
    CommandBudget command_budget() const {
        return CommandBudget(config_.command_time_limit, config_.ring_slice, config_.clock);
    }
    // Slices without a time limit, for loops over the whole view that must
    // run to their end (a write already done, the refresh of the view): they
    // pause every kPaceEvery messages once a ring slice is used up.
    CommandBudget ring_pacing() const { return CommandBudget(std::chrono::milliseconds{0}, config_.ring_slice, config_.clock); }
    static constexpr size_t kPaceEvery = 256;
    void time_limit_reached(std::string& out, const std::string& tag);
    void tagged(std::string& out, const std::string& tag, std::string_view status, std::string_view text);
    // "* FLAGS" and "* OK [PERMANENTFLAGS]" for the selected mailbox.
    void send_flags(std::string& out) const;
    // The flag bits of `keywords` in `mailbox` (defining them with define);
    // a change to the selected mailbox's table is sent as FLAGS.
    io::Task<Result<uint32_t>> keyword_bits(const std::string& mailbox, std::vector<std::string> keywords,
                                            bool define, std::string& out);
    // Another party deleted or recreated the selected mailbox: our UIDs mean
    // nothing any more (RFC 3501 2.3.1.1), so the session ends.
    void mailbox_gone(std::string_view why, std::string& out);
    // Reports others' changes before the tagged reply at the end of `out`
    // when the command allows it.
    io::Task<void> report_changes(const Command& cmd, std::string& out);
    // Selects `s` (or none) and follows it with a watch.
    void follow(std::optional<Selected> s);
    // Watches `mailbox` ("" = none) for changes by others.
    void start_watch(const std::string& mailbox);
    // The origin of this session's writes, so its own watch skips them.
    const void* origin() const { return watch_.get(); }

    // Shared with the watch callback, which may run after the session ended.
    struct Notice {
        bool changed = false;
        std::function<void()> wake;
    };

    SessionConfig config_;
    Backend& backend_;
    ClientInfo client_;
    State state_ = State::kNotAuthenticated;
    std::string user_;
    std::optional<Selected> sel_;
    std::shared_ptr<Notice> notice_ = std::make_shared<Notice>();
    std::shared_ptr<void> watch_;
    std::string watched_;
    Flush flush_;
    bool lost_ = false;
    bool idling_ = false;
    std::string idle_tag_;
    std::string auth_tag_;   // AUTHENTICATE waiting for its response line
    uint32_t bad_commands_ = 0;
    uint32_t commands_ = 0;
};

}  // namespace ringpost::imap
