// The IMAP session: state, dispatch, change reports, logins (see session.hpp).
#include "imap/session.hpp"

#include <algorithm>

#include "imap/imap_metrics.hpp"
#include "imap/response.hpp"
#include "imap/session_util.hpp"
#include "util/base64.hpp"
#include "util/sasl_plain.hpp"

namespace ringpost::imap {
namespace {

using namespace detail;

bool allowed(CommandType t, State s) {
    switch (t) {
    case CommandType::kCapability:
    case CommandType::kNoop:
    case CommandType::kLogout:
    case CommandType::kId:
        return true;
    case CommandType::kLogin:
    case CommandType::kAuthenticate:
    case CommandType::kStarttls:
        return s == State::kNotAuthenticated;
    case CommandType::kCheck:
    case CommandType::kClose:
    case CommandType::kUnselect:
    case CommandType::kExpunge:
    case CommandType::kSearch:
    case CommandType::kFetch:
    case CommandType::kStore:
    case CommandType::kCopy:
    case CommandType::kMove:
        return s == State::kSelected;
    default:
        return s == State::kAuthenticated || s == State::kSelected;
    }
}


}  // namespace

Session::Session(const SessionConfig& config, Backend& backend, ClientInfo client)
    : config_(config), backend_(backend), client_(std::move(client)) {}

void Session::set_wake(std::function<void()> wake) { notice_->wake = std::move(wake); }

void Session::follow(std::optional<Selected> s) {
    sel_ = std::move(s);
    state_ = sel_ ? State::kSelected : State::kAuthenticated;
    if (!sel_) {
        start_watch("");
        return;
    }
    // SELECT started the watch before it listed the mailbox; keep that one
    // (and any change it heard of meanwhile).
    if (!watch_ || watched_ != sel_->name) start_watch(sel_->name);
}

void Session::start_watch(const std::string& mailbox) {
    watch_.reset();
    notice_->changed = false;
    watched_ = mailbox;
    if (mailbox.empty()) return;
    std::weak_ptr<Notice> weak = notice_;
    auto on_change = [weak] {
        auto n = weak.lock();
        if (!n) return;
        n->changed = true;
        if (n->wake) n->wake();
    };
    watch_ = backend_.watch(user_, mailbox, on_change);
}

io::Task<bool> Session::flush_if_over(std::string& out, size_t threshold) {
    if (!flush_ || out.size() < threshold || lost_) co_return !lost_;
    auto flushing = flush_(out);
    if (!(co_await std::move(flushing))) lost_ = true;
    co_return !lost_;
}

io::Task<void> Session::report_changes(const Command& cmd, std::string& out) {
    if (!sel_ || !notice_->changed) co_return;
    // RFC 3501 7.4.1: no EXPUNGE during FETCH, STORE, SEARCH (the UID forms
    // may); those wait for the next command.
    bool numbers_in_use = !cmd.uid && (cmd.type == CommandType::kFetch || cmd.type == CommandType::kStore ||
                                       cmd.type == CommandType::kSearch);
    if (numbers_in_use) co_return;
    // The tagged reply is the last line of `out`: the updates go before it.
    size_t end = out.size() >= 2 ? out.size() - 2 : 0;
    size_t tagged_at = out.rfind("\r\n", end == 0 ? 0 : end - 1);
    tagged_at = tagged_at == std::string::npos ? 0 : tagged_at + 2;
    std::string tail = out.substr(tagged_at);
    out.resize(tagged_at);
    auto r = refresh(out);
    co_await std::move(r);
    out += tail;
}

std::string Session::capabilities() const {
    std::string caps = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN "
                       "SPECIAL-USE LIST-EXTENDED";
    if (state_ == State::kNotAuthenticated) {
        if (config_.starttls && !client_.tls) caps += " STARTTLS";
        caps += passwords_allowed() ? " AUTH=PLAIN" : " LOGINDISABLED";
    }
    return caps;
}

void Session::greet(std::string& out) {
    out += "* OK [CAPABILITY " + capabilities() + "] ";
    append_text(out, config_.hostname);
    out += " IMAP4rev1 ringpost ready\r\n";
}

void Session::time_limit_reached(std::string& out, const std::string& tag) {
    tagged(out, tag, "NO", "[LIMIT] Command took too long");
}

void Session::tagged(std::string& out, const std::string& tag, std::string_view status, std::string_view text) {
    out += tag;
    out += ' ';
    out += status;
    out += ' ';
    out += text;
    out += "\r\n";
}

Next Session::bad(const std::string& tag, std::string_view text, std::string& out) {
    ++bad_commands_;
    out += tag + " BAD ";
    append_text(out, text);
    out += "\r\n";
    if (config_.max_bad_commands != 0 && bad_commands_ >= config_.max_bad_commands) {
        out += "* BYE Too many invalid commands\r\n";
        state_ = State::kLogout;
        return Next::kClose;
    }
    return Next::kCommand;
}

void Session::shutdown(std::string& out) {
    out += "* BYE Server shutting down\r\n";
    state_ = State::kLogout;
}

void Session::timeout(std::string& out) {
    out += "* BYE Autologout; idle for too long\r\n";
    state_ = State::kLogout;
}

void Session::no_from_error(const std::string& tag, const Error& e, std::string& out, bool trycreate) {
    // Only the backend's own errors have a specific code; any other layer's
    // (the blocking pool busy or stopped, a database failure) means "try
    // again later" (RFC 5530 UNAVAILABLE), whatever its value.
    std::string_view code = "[UNAVAILABLE] ";
    if (e.code.category() == store::store_category()) {
        switch (static_cast<store::StoreErrc>(e.code.value())) {
        case kNoSuchMailbox: code = trycreate ? "[TRYCREATE] " : "[NONEXISTENT] "; break;
        case kMailboxExists: code = "[ALREADYEXISTS] "; break;
        case kCannotDeleteInbox:
        case kInvalidMailboxName: code = "[CANNOT] "; break;
        case kUidsExhausted: code = "[LIMIT] "; break;
        case kBadSpecialUse: code = "[USEATTR] "; break;
        case kNoSuchSourceMailbox: code = "[NONEXISTENT] "; break;
        case kTooManyKeywords: code = "[LIMIT] "; break;
        case kInsufficientStorage: code = "[OVERQUOTA] "; break;
        case kOutcomeGone:
        case kShuttingDown: break;   // not the mailbox API's; try again later
        }
    }
    out += tag + " NO " + std::string(code);
    append_text(out, e.message.empty() ? std::string_view("failed") : std::string_view(e.message));
    out += "\r\n";
}

std::vector<size_t> Session::resolve(const SequenceSet& set, bool uid) const {
    std::vector<size_t> idx;
    if (!sel_ || sel_->messages.empty()) return idx;
    const auto& msgs = sel_->messages;
    if (!uid) {
        set.for_each(static_cast<uint32_t>(msgs.size()), [&](uint32_t n) { idx.push_back(n - 1); });
        return idx;
    }
    SequenceSet r = set.resolve(msgs.back().uid);
    for (size_t i = 0; i < msgs.size(); ++i)
        if (r.contains(msgs[i].uid, msgs.back().uid)) idx.push_back(i);
    return idx;
}

void Session::send_flags(std::string& out) const {
    const std::string names = flag_names(sel_->keywords);
    out += "* FLAGS (" + names + ")\r\n";
    if (sel_->read_only)
        out += "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n";
    else
        out += "* OK [PERMANENTFLAGS (" + names + " \\*)] Flags and keywords are stored\r\n";
}

io::Task<Result<uint32_t>> Session::keyword_bits(const std::string& mailbox, std::vector<std::string> keywords,
                                                 bool define, std::string& out) {
    if (keywords.empty()) co_return uint32_t{0};
    auto t = backend_.keyword_flags(user_, mailbox, std::move(keywords), define);
    auto r = co_await std::move(t);
    if (!r) co_return r.error();
    if (sel_ && sel_->name == mailbox && r->table != sel_->keywords) {
        sel_->keywords = r->table;
        send_flags(out);
    }
    co_return r->bits;
}

void Session::mailbox_gone(std::string_view why, std::string& out) {
    out += "* BYE ";
    out += why;
    out += "\r\n";
    follow(std::nullopt);
    state_ = State::kLogout;
}

io::Task<void> Session::expunged(const std::vector<uint32_t>& uids, std::string& out) {
    if (!sel_ || uids.empty()) co_return;
    // Reported from the highest sequence number down, so each number is
    // still right when the client reads it (RFC 3501 7.4.1); the view is
    // compacted once at the end, not message by message (that was
    // quadratic in the size of the mailbox).
    CommandBudget pacing = ring_pacing();
    std::vector<bool> gone(sel_->messages.size(), false);
    bool any = false;
    for (size_t i = sel_->messages.size(); i-- > 0;) {
        if ((i + 1) % kPaceEvery == 0) {
            auto p = pacing.checkpoint();
            co_await std::move(p);
            if (!sel_ || sel_->messages.size() != gone.size()) co_return;
        }
        if (!std::binary_search(uids.begin(), uids.end(), sel_->messages[i].uid)) continue;
        out += "* " + std::to_string(i + 1) + " EXPUNGE\r\n";
        gone[i] = true;
        any = true;
    }
    if (!any) co_return;
    auto& msgs = sel_->messages;
    size_t kept = 0;
    for (size_t i = 0; i < msgs.size(); ++i)
        if (!gone[i]) msgs[kept++] = msgs[i];
    msgs.resize(kept);
}

io::Task<void> Session::refresh(std::string& out) {
    if (!sel_) co_return;
    notice_->changed = false;
    auto listing = backend_.list_messages(user_, sel_->name);
    auto snap = co_await std::move(listing);
    if (!sel_) co_return;
    if (!snap) {
        if (snap.error().code == kNoSuchMailbox) mailbox_gone("Selected mailbox was deleted", out);
        co_return;   // a passing store error: try again with the next change
    }
    if (snap->status.uidvalidity != sel_->uidvalidity) {
        mailbox_gone("Selected mailbox was recreated; UIDVALIDITY changed", out);
        co_return;
    }
    if (snap->status.keywords != sel_->keywords) {
        sel_->keywords = snap->status.keywords;
        send_flags(out);
    }
    // Expunged: in our view but no longer listed.
    std::vector<uint32_t> gone;
    size_t j = 0;
    const auto& now = snap->messages;
    for (const auto& m : sel_->messages) {
        while (j < now.size() && now[j].uid < m.uid) ++j;
        if (j >= now.size() || now[j].uid != m.uid) gone.push_back(m.uid);
    }
    auto expunging = expunged(gone, out);
    co_await std::move(expunging);
    if (!sel_) co_return;
    // Flag changes, then new messages.
    CommandBudget pacing = ring_pacing();
    j = 0;
    for (size_t i = 0; i < sel_->messages.size(); ++i) {
        if ((i + 1) % kPaceEvery == 0) {
            auto p = pacing.checkpoint();
            co_await std::move(p);
            if (!sel_) co_return;
        }
        auto& msgs = sel_->messages;
        while (j < now.size() && now[j].uid < msgs[i].uid) ++j;
        if (j < now.size() && now[j].uid == msgs[i].uid && now[j].flags != msgs[i].flags) {
            msgs[i].flags = now[j].flags;
            out += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(msgs[i].uid) + " FLAGS ";
            append_flags(out, msgs[i].flags, sel_->keywords, sel_->is_recent(msgs[i].uid));
            out += ")\r\n";
        }
    }
    const uint32_t last = sel_->messages.empty() ? 0 : sel_->messages.back().uid;
    const size_t before = sel_->messages.size();
    std::vector<uint32_t> fresh;
    for (size_t k = 0; k < now.size(); ++k) {
        if ((k + 1) % kPaceEvery == 0) {
            auto p = pacing.checkpoint();
            co_await std::move(p);
            if (!sel_) co_return;
        }
        if (now[k].uid <= last) continue;
        sel_->messages.push_back(now[k]);
        fresh.push_back(now[k].uid);
    }
    sel_->uidnext = snap->status.uidnext;
    if (sel_->messages.size() == before) co_return;
    // This session reports the new messages: it is the first to see those
    // nobody has claimed yet (RFC 3501 7.3.2: RECENT goes with EXISTS when
    // the number changed).
    const size_t recent_before = sel_->recent_count();
    auto taking = take_recent(*sel_, snap->status, std::move(fresh));
    co_await std::move(taking);
    if (!sel_) co_return;
    out += "* " + std::to_string(sel_->messages.size()) + " EXISTS\r\n";
    const size_t recent = sel_->recent_count();
    if (recent != recent_before) out += "* " + std::to_string(recent) + " RECENT\r\n";
}

size_t Session::Selected::recent_count() const {
    size_t n = 0;
    for (const auto& m : messages) n += is_recent(m.uid) ? 1 : 0;
    return n;
}

io::Task<void> Session::take_recent(Selected& s, const MailboxStatus& status, std::vector<uint32_t> fresh) {
    // Only UIDs above the floor can still be recent; `fresh` ascends.
    auto first = std::upper_bound(fresh.begin(), fresh.end(), status.recent_floor);
    fresh.erase(fresh.begin(), first);
    if (fresh.empty()) co_return;
    uint32_t floor = status.recent_floor;
    if (!s.read_only) {
        // Up to what this listing knows: later arrivals are for whoever
        // reports them first.
        const uint32_t upto = status.uidnext - 1;
        auto claiming = backend_.claim_recent(user_, s.name, s.uidvalidity, upto);
        auto claimed = co_await std::move(claiming);
        // Without the claim (the store failed, the mailbox went) nothing is
        // recent here: better none than one that another session gets too.
        floor = claimed ? *claimed : upto;
    }
    for (uint32_t uid : fresh)
        if (uid > floor) s.recent.push_back(uid);
}

io::Task<Next> Session::execute(const Command& cmd, std::string& out) {
    auto running = dispatch(cmd, out);
    Next next = co_await std::move(running);
    if (next == Next::kCommand && !lost_) {
        auto reporting = report_changes(cmd, out);
        co_await std::move(reporting);
    }
    co_return lost_ || state_ == State::kLogout ? Next::kClose : next;
}

io::Task<Next> Session::dispatch(const Command& cmd, std::string& out) {
    ++commands_;
    imap_metrics().command(cmd.type);
    if (!allowed(cmd.type, state_)) co_return refuse_not_allowed(cmd, out);
    if (!cmd.invalid_name.empty()) co_return refuse_invalid_name(cmd, out);
    switch (cmd.type) {
    case CommandType::kLogin: {
        auto t = login_command(cmd, out);
        co_return co_await std::move(t);
    }
    case CommandType::kAuthenticate: {
        auto t = authenticate(cmd, out);
        co_return co_await std::move(t);
    }
    case CommandType::kIdle: {
        auto t = idle(cmd, out);
        co_return co_await std::move(t);
    }
    default:
        break;
    }
    if (const Handler handler = handler_for(cmd.type)) {
        auto t = (this->*handler)(cmd, out);
        co_await std::move(t);
        co_return Next::kCommand;
    }
    co_return answer_at_once(cmd, out);
}

Session::Handler Session::handler_for(CommandType type) {
    switch (type) {
    case CommandType::kNoop:
    case CommandType::kCheck: return &Session::noop;
    case CommandType::kList:
    case CommandType::kLsub: return &Session::list;
    case CommandType::kStatus: return &Session::status;
    case CommandType::kSelect:
    case CommandType::kExamine: return &Session::select;
    case CommandType::kCreate:
    case CommandType::kDelete:
    case CommandType::kRename:
    case CommandType::kSubscribe:
    case CommandType::kUnsubscribe: return &Session::mailbox_op;
    case CommandType::kAppend: return &Session::append;
    case CommandType::kClose:
    case CommandType::kUnselect: return &Session::close_mailbox;
    case CommandType::kExpunge: return &Session::expunge;
    case CommandType::kSearch: return &Session::search;
    case CommandType::kFetch: return &Session::fetch;
    case CommandType::kStore: return &Session::store;
    case CommandType::kCopy:
    case CommandType::kMove: return &Session::copy;
    case CommandType::kCapability:
    case CommandType::kLogout:
    case CommandType::kStarttls:
    case CommandType::kEnable:
    case CommandType::kId:
    case CommandType::kNamespace:   // answer_at_once
    case CommandType::kLogin:
    case CommandType::kAuthenticate:
    case CommandType::kIdle:        // dispatch's own cases
        return nullptr;
    }
    return nullptr;
}

Next Session::refuse_not_allowed(const Command& cmd, std::string& out) {
    std::string text = std::string(command_name(cmd.type)) +
                       (state_ == State::kNotAuthenticated ? " not allowed before login" : " not allowed now");
    return bad(cmd.tag, text, out);
}

Next Session::refuse_invalid_name(const Command& cmd, std::string& out) {
    // RFC 3501 5.1.3: such a name cannot exist; a NO, not a protocol error.
    if (cmd.type == CommandType::kSelect || cmd.type == CommandType::kExamine) {
        if (sel_) out += "* OK [CLOSED] Previous mailbox closed\r\n";
        follow(std::nullopt);   // as any failed SELECT (RFC 3501 6.3.1)
    }
    out += cmd.tag + " NO [CANNOT] ";
    append_text(out, cmd.invalid_name);
    out += "\r\n";
    return Next::kCommand;
}

Next Session::answer_at_once(const Command& cmd, std::string& out) {
    const std::string& tag = cmd.tag;
    switch (cmd.type) {
    case CommandType::kCapability:
        out += "* CAPABILITY " + capabilities() + "\r\n";
        tagged(out, tag, "OK", "CAPABILITY completed");
        return Next::kCommand;
    case CommandType::kLogout:
        out += "* BYE Logging out\r\n";
        tagged(out, tag, "OK", "LOGOUT completed");
        state_ = State::kLogout;
        return Next::kClose;
    case CommandType::kStarttls:
        if (client_.tls) return bad(tag, "TLS already active", out);
        if (!config_.starttls) {
            tagged(out, tag, "NO", "STARTTLS not available");
            return Next::kCommand;
        }
        // No CAPABILITY response code here: the client must ask again over
        // TLS (RFC 3501 6.2.1), and anything it pipelined is discarded.
        tagged(out, tag, "OK", "Begin TLS negotiation now");
        return Next::kStartTls;
    case CommandType::kEnable:
        out += "* ENABLED\r\n";
        tagged(out, tag, "OK", "ENABLE completed");
        return Next::kCommand;
    case CommandType::kId:
        out += "* ID (\"name\" \"ringpost\")\r\n";
        tagged(out, tag, "OK", "ID completed");
        return Next::kCommand;
    case CommandType::kNamespace:
        out += "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n";
        tagged(out, tag, "OK", "NAMESPACE completed");
        return Next::kCommand;
    default:
        return Next::kCommand;   // dispatch sends no other command here
    }
}

io::Task<void> Session::noop(const Command& cmd, std::string& out) {
    auto r = refresh(out);
    co_await std::move(r);
    tagged(out, cmd.tag, "OK", cmd.type == CommandType::kNoop ? "NOOP completed" : "CHECK completed");
}

io::Task<Next> Session::login_command(const Command& cmd, std::string& out) {
    if (!passwords_allowed()) {
        tagged(out, cmd.tag, "NO", "[PRIVACYREQUIRED] LOGIN disabled without TLS");
        co_return Next::kCommand;
    }
    const auto& a = cmd.get<LoginArgs>();
    auto t = login(cmd, a.user, a.password, out);
    co_return co_await std::move(t);
}

io::Task<Next> Session::authenticate(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<AuthenticateArgs>();
    if (a.mechanism != "PLAIN" || !passwords_allowed()) {
        tagged(out, cmd.tag, "NO", "[CANNOT] Unsupported authentication mechanism");
        co_return Next::kCommand;
    }
    auth_tag_ = cmd.tag;
    if (!a.initial_response) {
        out += "+ \r\n";
        co_return Next::kLine;
    }
    auto t = line(*a.initial_response, out);
    co_return co_await std::move(t);
}

io::Task<void> Session::close_mailbox(const Command& cmd, std::string& out) {
    if (cmd.type == CommandType::kClose && !sel_->read_only) {
        auto t = backend_.expunge(user_, sel_->name, std::nullopt, true, origin());
        (void)co_await std::move(t);   // RFC 3501 6.4.2: no EXPUNGE responses, errors ignored
    }
    follow(std::nullopt);
    tagged(out, cmd.tag, "OK", cmd.type == CommandType::kClose ? "CLOSE completed" : "UNSELECT completed");
}

io::Task<Next> Session::idle(const Command& cmd, std::string& out) {
    auto r = refresh(out);
    co_await std::move(r);
    out += "+ idling\r\n";
    idling_ = true;
    idle_tag_ = cmd.tag;
    co_return Next::kLine;
}

io::Task<Next> Session::line(std::string text, std::string& out) {
    if (idling_) {
        idling_ = false;
        if (text.size() == 4 && ci_equal(text, "DONE")) {
            tagged(out, idle_tag_, "OK", "IDLE terminated");
            co_return Next::kCommand;
        }
        co_return bad(idle_tag_, "Expected DONE", out);
    }
    std::string tag = std::move(auth_tag_);
    auth_tag_.clear();
    if (text == "*") {
        tagged(out, tag, "BAD", "AUTHENTICATE cancelled");
        co_return Next::kCommand;
    }
    std::string decoded;
    if (text != "=" && !base64::decode(text, decoded)) {
        tagged(out, tag, "BAD", "Invalid base64");
        co_return Next::kCommand;
    }
    auto parts = sasl::split_plain(decoded);
    if (!parts) {
        imap_metrics().auth_failures.inc();
        tagged(out, tag, "NO", "[AUTHENTICATIONFAILED] Malformed PLAIN response");
        co_return Next::kCommand;
    }
    std::string user(parts->authcid);
    std::string pass(parts->password);
    if (!parts->authzid.empty() && parts->authzid != parts->authcid) {
        tagged(out, tag, "NO", "[AUTHORIZATIONFAILED] Proxy authorization not supported");
        co_return Next::kCommand;
    }
    Command fake;
    fake.tag = tag;
    auto t = login(fake, std::move(user), std::move(pass), out);
    co_return co_await std::move(t);
}

io::Task<Next> Session::login(const Command& cmd, std::string user, std::string password, std::string& out) {
    auto checking = backend_.login(std::move(user), std::move(password), client_.ip);
    auth::Outcome r = co_await std::move(checking);
    if (r.status == auth::Status::kOk) {
        user_ = r.user;
        state_ = State::kAuthenticated;
        tagged(out, cmd.tag, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
    } else if (r.status == auth::Status::kTempFail) {
        tagged(out, cmd.tag, "NO", "[UNAVAILABLE] Temporary authentication failure");
    } else {
        imap_metrics().auth_failures.inc();
        tagged(out, cmd.tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
    }
    co_return Next::kCommand;
}

}  // namespace ringpost::imap
