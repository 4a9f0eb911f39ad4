// The IMAP session (see session.hpp).
#include "imap/session.hpp"

#include <algorithm>
#include <cctype>

#include "imap/date_time.hpp"
#include "imap/mailbox_name.hpp"
#include "imap/response.hpp"
#include "util/base64.hpp"

namespace ringpost::imap {
namespace {

constexpr std::string_view kFlagNames[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};
constexpr uint32_t kFlagBits[] = {kSeen, kAnswered, kFlagged, kDeleted, kDraft};

void append_flags(std::string& out, uint32_t flags) {
    out += '(';
    bool first = true;
    for (size_t i = 0; i < 5; ++i) {
        if (!(flags & kFlagBits[i])) continue;
        if (!first) out += ' ';
        out += kFlagNames[i];
        first = false;
    }
    out += ')';
}

// System flags as bits; keywords are not stored and are dropped.
uint32_t flag_bits(const std::vector<std::string>& flags) {
    uint32_t bits = 0;
    for (const auto& f : flags)
        for (size_t i = 0; i < 5; ++i)
            if (f == kFlagNames[i]) bits |= kFlagBits[i];
    return bits;
}

uint32_t flag_bit(std::string_view f) {
    for (size_t i = 0; i < 5; ++i)
        if (f == kFlagNames[i]) return kFlagBits[i];
    return 0;
}

bool ci_contains(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

bool ci_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ci_contains(a, b);
}

// The header block of a message (up to and including the empty line).
std::string_view header_of(std::string_view msg) {
    size_t p = msg.find("\r\n\r\n");
    if (p != std::string_view::npos) return msg.substr(0, p + 4);
    p = msg.find("\n\n");
    if (p != std::string_view::npos) return msg.substr(0, p + 2);
    return msg;
}

// The unfolded values of every field called `name`, joined by newlines.
std::string header_values(std::string_view header, std::string_view name) {
    std::string values;
    bool in_field = false;
    size_t pos = 0;
    while (pos < header.size()) {
        size_t eol = header.find('\n', pos);
        if (eol == std::string_view::npos) eol = header.size();
        std::string_view line = header.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (line[0] == ' ' || line[0] == '\t') {
            if (in_field) values.append(line);
            continue;
        }
        size_t colon = line.find(':');
        in_field = colon != std::string_view::npos && ci_equal(line.substr(0, colon), name);
        if (in_field) {
            if (!values.empty()) values += '\n';
            values.append(line.substr(colon + 1));
        }
    }
    return values;
}

// LIST pattern matching: "*" matches anything, "%" anything but "/".
// Iterative with backtracking limited to the last star: linear enough.
bool glob(std::string_view pat, std::string_view name) {
    // dp over pattern positions (names and patterns are short).
    std::vector<char> cur(pat.size() + 1, 0), next(pat.size() + 1, 0);
    cur[0] = 1;
    for (size_t i = 0; i < pat.size() && (pat[i] == '*' || pat[i] == '%'); ++i) cur[i + 1] = 1;
    for (char c : name) {
        std::fill(next.begin(), next.end(), 0);
        for (size_t i = 0; i < pat.size(); ++i) {
            if (!cur[i]) continue;
            char p = pat[i];
            if (p == '*' || (p == '%' && c != '/')) next[i] = 1;
            else if (p == c) next[i + 1] = 1;
        }
        for (size_t i = 0; i < pat.size(); ++i)
            if (next[i] && (pat[i] == '*' || pat[i] == '%')) next[i + 1] = 1;
        std::swap(cur, next);
    }
    return cur[pat.size()] != 0;
}

bool is_inbox_pattern_match(std::string_view pat, std::string_view name) {
    // INBOX is case-insensitive: match the pattern's own spelling of it.
    if (name == "INBOX" && pat.size() >= 5) {
        std::string up(pat);
        for (size_t i = 0; i < 5; ++i) up[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(up[i])));
        return glob(up, name);
    }
    return glob(pat, name);
}

void status_items(std::string& out, const MailboxStatus& s, const StatusItems& items) {
    std::string body;
    auto add = [&](std::string_view k, uint64_t v) {
        if (!body.empty()) body += ' ';
        body += k;
        body += ' ';
        body += std::to_string(v);
    };
    if (items.messages) add("MESSAGES", s.messages);
    if (items.recent) add("RECENT", 0);
    if (items.uidnext) add("UIDNEXT", s.uidnext);
    if (items.uidvalidity) add("UIDVALIDITY", s.uidvalidity);
    if (items.unseen) add("UNSEEN", s.unseen);
    if (items.size) add("SIZE", s.bytes);
    out += "* STATUS ";
    append_mailbox(out, s.name);
    out += " (" + body + ")\r\n";
}

std::string_view slice(std::string_view data, uint64_t offset, uint64_t size) {
    if (offset > data.size()) return {};
    return data.substr(offset, size);
}

// The text a BODY[section] fetch returns.
std::string section_text(const Section& sec, const mail::MessageSummary& summary, std::string_view data) {
    const mail::MimePart* part = mail::find_part(summary.root, sec.part);
    if (!part) return {};
    const mail::MimePart* msg = part;   // the message whose HEADER/TEXT is meant
    if (!sec.part.empty()) {
        if (sec.text == Section::Text::kAll) return std::string(slice(data, part->body_offset, part->body_size));
        if (sec.text == Section::Text::kMime) return std::string(slice(data, part->header_offset, part->header_size));
        if (part->parts.size() != 1 || part->type != "message") return {};
        msg = &part->parts[0];
    }
    switch (sec.text) {
    case Section::Text::kAll:
        return std::string(data);
    case Section::Text::kHeader:
    case Section::Text::kMime:
        return std::string(slice(data, msg->header_offset, msg->header_size));
    case Section::Text::kText:
        return std::string(slice(data, msg->body_offset, msg->body_size));
    case Section::Text::kHeaderFields:
    case Section::Text::kHeaderFieldsNot:
        return mail::header_fields(slice(data, msg->header_offset, msg->header_size), sec.fields,
                                   sec.text == Section::Text::kHeaderFieldsNot);
    }
    return {};
}

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

std::string Session::capabilities() const {
    std::string caps = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN "
                       "SPECIAL-USE LIST-EXTENDED";
    if (state_ == State::kNotAuthenticated) caps += config_.plaintext_allowed ? " AUTH=PLAIN" : " LOGINDISABLED";
    return caps;
}

void Session::greet(std::string& out) {
    out += "* OK [CAPABILITY " + capabilities() + "] ";
    append_text(out, config_.hostname);
    out += " IMAP4rev1 ringpost ready\r\n";
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
    std::string_view code = "[SERVERBUG] ";
    switch (e.code) {
    case kNoSuchMailbox: code = trycreate ? "[TRYCREATE] " : "[NONEXISTENT] "; break;
    case kMailboxExists: code = "[ALREADYEXISTS] "; break;
    case kCannotDeleteInbox:
    case kInvalidMailboxName: code = "[CANNOT] "; break;
    case kUidsExhausted: code = "[LIMIT] "; break;
    case kBadSpecialUse: code = "[USEATTR] "; break;
    case kNoSuchSourceMailbox: code = "[NONEXISTENT] "; break;
    default: code = "[UNAVAILABLE] "; break;
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

void Session::expunged(const std::vector<uint32_t>& uids, std::string& out) {
    if (!sel_) return;
    auto& msgs = sel_->messages;
    for (size_t i = msgs.size(); i-- > 0;) {
        if (!std::binary_search(uids.begin(), uids.end(), msgs[i].uid)) continue;
        out += "* " + std::to_string(i + 1) + " EXPUNGE\r\n";
        msgs.erase(msgs.begin() + static_cast<std::ptrdiff_t>(i));
    }
}

io::Task<void> Session::refresh(std::string& out) {
    if (!sel_) co_return;
    auto listing = backend_.list_messages(user_, sel_->name);
    auto snap = co_await std::move(listing);
    if (!snap || !sel_) co_return;
    // Expunged: in our view but no longer listed.
    std::vector<uint32_t> gone;
    size_t j = 0;
    const auto& now = snap->messages;
    for (const auto& m : sel_->messages) {
        while (j < now.size() && now[j].uid < m.uid) ++j;
        if (j >= now.size() || now[j].uid != m.uid) gone.push_back(m.uid);
    }
    expunged(gone, out);
    // Flag changes, then new messages.
    auto& msgs = sel_->messages;
    j = 0;
    for (size_t i = 0; i < msgs.size(); ++i) {
        while (j < now.size() && now[j].uid < msgs[i].uid) ++j;
        if (j < now.size() && now[j].uid == msgs[i].uid && now[j].flags != msgs[i].flags) {
            msgs[i].flags = now[j].flags;
            out += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(msgs[i].uid) + " FLAGS ";
            append_flags(out, msgs[i].flags);
            out += ")\r\n";
        }
    }
    uint32_t last = msgs.empty() ? 0 : msgs.back().uid;
    size_t before = msgs.size();
    for (const auto& m : now)
        if (m.uid > last) msgs.push_back(m);
    if (msgs.size() != before) out += "* " + std::to_string(msgs.size()) + " EXISTS\r\n";
    sel_->uidnext = snap->status.uidnext;
}

io::Task<Next> Session::execute(const Command& cmd, std::string& out) {
    ++commands_;
    const std::string& tag = cmd.tag;
    if (!allowed(cmd.type, state_)) {
        std::string text = std::string(command_name(cmd.type)) +
                           (state_ == State::kNotAuthenticated ? " not allowed before login" : " not allowed now");
        co_return bad(tag, text, out);
    }
    switch (cmd.type) {
    case CommandType::kCapability:
        out += "* CAPABILITY " + capabilities() + "\r\n";
        tagged(out, tag, "OK", "CAPABILITY completed");
        co_return Next::kCommand;
    case CommandType::kNoop:
    case CommandType::kCheck: {
        auto r = refresh(out);
        co_await std::move(r);
        tagged(out, tag, "OK", cmd.type == CommandType::kNoop ? "NOOP completed" : "CHECK completed");
        co_return Next::kCommand;
    }
    case CommandType::kLogout:
        out += "* BYE Logging out\r\n";
        tagged(out, tag, "OK", "LOGOUT completed");
        state_ = State::kLogout;
        co_return Next::kClose;
    case CommandType::kStarttls:
        tagged(out, tag, "NO", "STARTTLS not available");
        co_return Next::kCommand;
    case CommandType::kLogin: {
        if (!config_.plaintext_allowed) {
            tagged(out, tag, "NO", "[PRIVACYREQUIRED] LOGIN disabled without TLS");
            co_return Next::kCommand;
        }
        const auto& a = cmd.get<LoginArgs>();
        auto t = login(cmd, a.user, a.password, out);
        co_return co_await std::move(t);
    }
    case CommandType::kAuthenticate: {
        const auto& a = cmd.get<AuthenticateArgs>();
        if (a.mechanism != "PLAIN" || !config_.plaintext_allowed) {
            tagged(out, tag, "NO", "[CANNOT] Unsupported authentication mechanism");
            co_return Next::kCommand;
        }
        auth_tag_ = tag;
        if (!a.initial_response) {
            out += "+ \r\n";
            co_return Next::kLine;
        }
        auto t = line(*a.initial_response, out);
        co_return co_await std::move(t);
    }
    case CommandType::kEnable:
        out += "* ENABLED\r\n";
        tagged(out, tag, "OK", "ENABLE completed");
        co_return Next::kCommand;
    case CommandType::kId:
        out += "* ID (\"name\" \"ringpost\")\r\n";
        tagged(out, tag, "OK", "ID completed");
        co_return Next::kCommand;
    case CommandType::kNamespace:
        out += "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n";
        tagged(out, tag, "OK", "NAMESPACE completed");
        co_return Next::kCommand;
    case CommandType::kList:
    case CommandType::kLsub: {
        auto t = list(cmd, out);
        co_await std::move(t);
        break;
    }
    case CommandType::kStatus: {
        auto t = status(cmd, out);
        co_await std::move(t);
        break;
    }
    case CommandType::kSelect:
    case CommandType::kExamine: {
        auto t = select(cmd, out);
        co_await std::move(t);
        co_return Next::kCommand;
    }
    case CommandType::kCreate:
    case CommandType::kDelete:
    case CommandType::kRename:
    case CommandType::kSubscribe:
    case CommandType::kUnsubscribe: {
        auto t = mailbox_op(cmd, out);
        co_await std::move(t);
        break;
    }
    case CommandType::kAppend: {
        auto t = append(cmd, out);
        co_await std::move(t);
        break;
    }
    case CommandType::kClose:
    case CommandType::kUnselect: {
        if (cmd.type == CommandType::kClose && !sel_->read_only) {
            auto t = backend_.expunge(user_, sel_->name, std::nullopt, true);
            co_await std::move(t);   // RFC 3501 6.4.2: no EXPUNGE responses
        }
        sel_.reset();
        state_ = State::kAuthenticated;
        tagged(out, tag, "OK", cmd.type == CommandType::kClose ? "CLOSE completed" : "UNSELECT completed");
        co_return Next::kCommand;
    }
    case CommandType::kExpunge: {
        auto t = expunge(cmd, out);
        co_await std::move(t);
        break;
    }
    case CommandType::kSearch: {
        auto t = search(cmd, out);
        co_await std::move(t);
        co_return Next::kCommand;
    }
    case CommandType::kFetch: {
        auto t = fetch(cmd, out);
        co_await std::move(t);
        co_return Next::kCommand;
    }
    case CommandType::kStore: {
        auto t = store(cmd, out);
        co_await std::move(t);
        co_return Next::kCommand;
    }
    case CommandType::kCopy:
    case CommandType::kMove: {
        auto t = copy(cmd, out);
        co_await std::move(t);
        break;
    }
    case CommandType::kIdle: {
        auto r = refresh(out);
        co_await std::move(r);
        out += "+ idling\r\n";
        idling_ = true;
        idle_tag_ = tag;
        co_return Next::kLine;
    }
    }
    co_return Next::kCommand;
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
    // authzid NUL authcid NUL password (RFC 4616).
    size_t a = decoded.find('\0');
    size_t b = a == std::string::npos ? a : decoded.find('\0', a + 1);
    if (b == std::string::npos) {
        tagged(out, tag, "NO", "[AUTHENTICATIONFAILED] Malformed PLAIN response");
        co_return Next::kCommand;
    }
    std::string authz = decoded.substr(0, a);
    std::string user = decoded.substr(a + 1, b - a - 1);
    std::string pass = decoded.substr(b + 1);
    if (!authz.empty() && authz != user) {
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
    LoginResult r = co_await std::move(checking);
    if (r.status == LoginStatus::kOk) {
        user_ = r.user;
        state_ = State::kAuthenticated;
        tagged(out, cmd.tag, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
    } else if (r.status == LoginStatus::kTempFail) {
        tagged(out, cmd.tag, "NO", "[UNAVAILABLE] Temporary authentication failure");
    } else {
        tagged(out, cmd.tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
    }
    co_return Next::kCommand;
}

io::Task<void> Session::list(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<ListArgs>();
    const bool lsub = cmd.type == CommandType::kLsub;
    const char* word = lsub ? "LSUB" : "LIST";
    if (a.patterns.size() == 1 && a.patterns[0].empty() && !lsub) {
        out += "* LIST (\\Noselect) \"/\" \"\"\r\n";
        tagged(out, cmd.tag, "OK", "LIST completed");
        co_return;
    }
    auto listing = backend_.list_mailboxes(user_);
    auto boxes = co_await std::move(listing);
    if (!boxes) {
        no_from_error(cmd.tag, boxes.error(), out);
        co_return;
    }
    for (const auto& mb : *boxes) {
        bool match = false;
        for (const auto& p : a.patterns)
            if (is_inbox_pattern_match(a.reference + p, mb.name)) match = true;
        if (!match) continue;
        bool subscribed_only = lsub || a.select_subscribed;
        if (subscribed_only && !mb.subscribed) continue;
        if (a.select_special_use && mb.special_use.empty()) continue;
        bool children = false;
        for (const auto& other : *boxes)
            if (other.name.size() > mb.name.size() + 1 && other.name.compare(0, mb.name.size(), mb.name) == 0 &&
                other.name[mb.name.size()] == '/')
                children = true;
        std::string attrs = children ? "\\HasChildren" : "\\HasNoChildren";
        if (!mb.special_use.empty() && !lsub) attrs += " " + mb.special_use;
        if (mb.subscribed && !lsub && (a.return_subscribed || a.select_subscribed)) attrs += " \\Subscribed";
        out += "* ";
        out += word;
        out += " (" + attrs + ") \"/\" ";
        append_mailbox(out, mb.name);
        out += "\r\n";
        if (a.return_status && !lsub) status_items(out, mb, a.status_items);
    }
    tagged(out, cmd.tag, "OK", lsub ? "LSUB completed" : "LIST completed");
}

io::Task<void> Session::status(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<StatusArgs>();
    auto asking = backend_.mailbox_status(user_, a.mailbox);
    auto st = co_await std::move(asking);
    if (!st) {
        no_from_error(cmd.tag, st.error(), out);
        co_return;
    }
    if (!st->has_value()) {
        tagged(out, cmd.tag, "NO", "[NONEXISTENT] No such mailbox");
        co_return;
    }
    status_items(out, **st, a.items);
    tagged(out, cmd.tag, "OK", "STATUS completed");
}

io::Task<void> Session::select(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<SelectArgs>();
    const bool examine = cmd.type == CommandType::kExamine;
    sel_.reset();
    state_ = State::kAuthenticated;
    auto listing = backend_.list_messages(user_, a.mailbox);
    auto snap = co_await std::move(listing);
    if (!snap) {
        no_from_error(cmd.tag, snap.error(), out);
        co_return;
    }
    Selected s;
    s.name = snap->status.name.empty() ? a.mailbox : snap->status.name;
    s.read_only = examine;
    s.uidvalidity = snap->status.uidvalidity;
    s.uidnext = snap->status.uidnext;
    s.messages = std::move(snap->messages);
    out += "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n";
    out += "* " + std::to_string(s.messages.size()) + " EXISTS\r\n* 0 RECENT\r\n";
    for (size_t i = 0; i < s.messages.size(); ++i) {
        if (!(s.messages[i].flags & kSeen)) {
            out += "* OK [UNSEEN " + std::to_string(i + 1) + "] First unseen\r\n";
            break;
        }
    }
    out += "* OK [UIDVALIDITY " + std::to_string(s.uidvalidity) + "] UIDs valid\r\n";
    out += "* OK [UIDNEXT " + std::to_string(s.uidnext) + "] Predicted next UID\r\n";
    if (examine)
        out += "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n";
    else
        out += "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] Keywords are not stored\r\n";
    sel_ = std::move(s);
    state_ = State::kSelected;
    tagged(out, cmd.tag, "OK", examine ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
}

io::Task<void> Session::mailbox_op(const Command& cmd, std::string& out) {
    Result<void> r;
    std::string_view done;
    switch (cmd.type) {
    case CommandType::kCreate: {
        const auto& a = cmd.get<CreateArgs>();
        std::string name = a.mailbox;
        while (name.size() > 1 && name.back() == '/') name.pop_back();
        if (is_inbox(name)) {
            tagged(out, cmd.tag, "NO", "[ALREADYEXISTS] INBOX always exists");
            co_return;
        }
        std::string use = a.special_use.empty() ? std::string() : a.special_use.front();
        auto t = backend_.create_mailbox(user_, name, use);
        r = co_await std::move(t);
        done = "CREATE completed";
        break;
    }
    case CommandType::kDelete: {
        auto t = backend_.delete_mailbox(user_, cmd.get<MailboxArgs>().mailbox);
        r = co_await std::move(t);
        done = "DELETE completed";
        break;
    }
    case CommandType::kRename: {
        const auto& a = cmd.get<RenameArgs>();
        auto t = backend_.rename_mailbox(user_, a.from, a.to);
        r = co_await std::move(t);
        done = "RENAME completed";
        break;
    }
    default: {
        bool on = cmd.type == CommandType::kSubscribe;
        auto t = backend_.subscribe(user_, cmd.get<MailboxArgs>().mailbox, on);
        r = co_await std::move(t);
        done = on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed";
        break;
    }
    }
    if (!r) {
        no_from_error(cmd.tag, r.error(), out);
        co_return;
    }
    tagged(out, cmd.tag, "OK", done);
}

io::Task<void> Session::append(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<AppendArgs>();
    uint32_t validity = 0;
    SequenceSet uids;
    for (const auto& m : a.messages) {
        int64_t date = m.internal_date ? m.internal_date->unix_time : 0;
        auto t = backend_.append(user_, a.mailbox, std::string(m.data), flag_bits(m.flags), date);
        auto r = co_await std::move(t);
        if (!r) {
            no_from_error(cmd.tag, r.error(), out, true);
            co_return;
        }
        validity = r->uidvalidity;
        uids.add(r->uid);
    }
    if (sel_ && sel_->name == a.mailbox) {
        auto t = refresh(out);
        co_await std::move(t);
    }
    tagged(out, cmd.tag, "OK",
           "[APPENDUID " + std::to_string(validity) + " " + uids.resolve(UINT32_MAX).to_string() + "] APPEND completed");
}

io::Task<void> Session::expunge(const Command& cmd, std::string& out) {
    if (sel_->read_only) {
        tagged(out, cmd.tag, "NO", "[READ-ONLY] Mailbox is read-only");
        co_return;
    }
    std::optional<std::vector<uint32_t>> uids;
    if (cmd.uid) {
        uids.emplace();
        for (size_t i : resolve(cmd.get<UidExpungeArgs>().set, true)) uids->push_back(sel_->messages[i].uid);
    }
    auto t = backend_.expunge(user_, sel_->name, std::move(uids), true);
    auto r = co_await std::move(t);
    if (!r) {
        no_from_error(cmd.tag, r.error(), out);
        co_return;
    }
    expunged(*r, out);
    tagged(out, cmd.tag, "OK", "EXPUNGE completed");
}

io::Task<bool> Session::search_text(const SearchKey& key, const MessageInfo& m, std::optional<std::string>& data) {
    if (!data) {
        auto t = backend_.read_message(user_, sel_->name, m.uid, false, true);
        auto r = co_await std::move(t);
        data.emplace(r && r->has_value() ? std::move((*r)->data) : std::string());
    }
    std::string_view msg = *data;
    std::string_view header = header_of(msg);
    switch (key.kind) {
    case SearchKind::kFrom: co_return ci_contains(header_values(header, "From"), key.value);
    case SearchKind::kTo: co_return ci_contains(header_values(header, "To"), key.value);
    case SearchKind::kCc: co_return ci_contains(header_values(header, "Cc"), key.value);
    case SearchKind::kBcc: co_return ci_contains(header_values(header, "Bcc"), key.value);
    case SearchKind::kSubject: co_return ci_contains(header_values(header, "Subject"), key.value);
    case SearchKind::kHeader: {
        std::string v = header_values(header, key.field);
        if (key.value.empty()) co_return !v.empty() || ci_contains(header, key.field + ":");
        co_return ci_contains(v, key.value);
    }
    case SearchKind::kBody: co_return ci_contains(msg.substr(header.size()), key.value);
    default: co_return ci_contains(msg, key.value);
    }
}

io::Task<bool> Session::matches(const SearchKey& key, uint32_t seq, const MessageInfo& m,
                                std::optional<std::string>& data) {
    const auto& msgs = sel_->messages;
    switch (key.kind) {
    case SearchKind::kAll: co_return true;
    case SearchKind::kAnd:
        for (const auto& c : key.children) {
            auto t = matches(c, seq, m, data);
            if (!(co_await std::move(t))) co_return false;
        }
        co_return true;
    case SearchKind::kOr:
        for (const auto& c : key.children) {
            auto t = matches(c, seq, m, data);
            if (co_await std::move(t)) co_return true;
        }
        co_return false;
    case SearchKind::kNot: {
        if (key.children.empty()) co_return false;
        auto t = matches(key.children[0], seq, m, data);
        co_return !(co_await std::move(t));
    }
    case SearchKind::kSequence: co_return key.set.contains(seq, static_cast<uint32_t>(msgs.size()));
    case SearchKind::kUid: co_return key.set.contains(m.uid, msgs.empty() ? 0 : msgs.back().uid);
    case SearchKind::kFlag: {
        uint32_t bit = flag_bit(key.value);
        co_return bit != 0 && (m.flags & bit) != 0;
    }
    case SearchKind::kLarger: co_return m.size > key.number;
    case SearchKind::kSmaller: co_return m.size < key.number;
    case SearchKind::kSince:
    case SearchKind::kSentSince: co_return date_of(m.internal_date, 0) >= key.date;
    case SearchKind::kBefore:
    case SearchKind::kSentBefore: co_return date_of(m.internal_date, 0) < key.date;
    case SearchKind::kOn:
    case SearchKind::kSentOn: co_return date_of(m.internal_date, 0) == key.date;
    default: {
        auto t = search_text(key, m, data);
        co_return co_await std::move(t);
    }
    }
}

io::Task<void> Session::search(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<SearchArgs>();
    if (!a.charset.empty() && a.charset != "US-ASCII" && a.charset != "UTF-8") {
        tagged(out, cmd.tag, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
        co_return;
    }
    std::string line = "* SEARCH";
    // A copy: the view may not change during SEARCH, but be safe.
    std::vector<MessageInfo> msgs = sel_->messages;
    for (size_t i = 0; i < msgs.size(); ++i) {
        std::optional<std::string> data;
        auto t = matches(a.key, static_cast<uint32_t>(i + 1), msgs[i], data);
        if (co_await std::move(t)) line += " " + std::to_string(cmd.uid ? msgs[i].uid : i + 1);
        if (!sel_) co_return;
    }
    out += line + "\r\n";
    tagged(out, cmd.tag, "OK", "SEARCH completed");
}

io::Task<void> Session::fetch(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<FetchArgs>();
    if (!cmd.uid && a.set.max_number() > sel_->messages.size()) {
        tagged(out, cmd.tag, "BAD", "Message sequence number out of range");
        co_return;
    }
    std::vector<FetchItem> items = a.items;
    bool want_summary = false, want_data = false, sets_seen = false, has_uid = false, has_flags = false;
    for (const auto& it : items) {
        switch (it.attr) {
        case FetchAttr::kUid: has_uid = true; break;
        case FetchAttr::kFlags: has_flags = true; break;
        case FetchAttr::kEnvelope:
        case FetchAttr::kBody:
        case FetchAttr::kBodyStructure: want_summary = true; break;
        case FetchAttr::kRfc822:
        case FetchAttr::kRfc822Text: want_data = want_summary = sets_seen = true; break;
        case FetchAttr::kRfc822Header: want_data = want_summary = true; break;
        case FetchAttr::kBodySection:
            want_data = want_summary = true;
            if (!it.peek) sets_seen = true;
            break;
        default: break;
        }
    }
    if (cmd.uid && !has_uid) {
        FetchItem u;
        u.attr = FetchAttr::kUid;
        items.insert(items.begin(), u);
    }
    if (sel_->read_only) sets_seen = false;
    std::vector<size_t> idx = resolve(a.set, cmd.uid);
    if (sets_seen) {
        std::vector<uint32_t> unseen;
        for (size_t i : idx)
            if (!(sel_->messages[i].flags & kSeen)) unseen.push_back(sel_->messages[i].uid);
        if (!unseen.empty()) {
            auto t = backend_.change_flags(user_, sel_->name, std::move(unseen), kSeen, 0, false);
            auto r = co_await std::move(t);
            if (r) {
                for (auto [uid, flags] : *r)
                    for (auto& m : sel_->messages)
                        if (m.uid == uid) m.flags = flags;
            }
        }
        if (!has_flags) {
            FetchItem f;
            f.attr = FetchAttr::kFlags;
            items.push_back(f);
        }
    }
    for (size_t i : idx) {
        if (!sel_ || i >= sel_->messages.size()) break;
        const MessageInfo m = sel_->messages[i];
        std::optional<MessageContent> content;
        if (want_summary || want_data) {
            auto t = backend_.read_message(user_, sel_->name, m.uid, want_summary, want_data);
            auto r = co_await std::move(t);
            if (!r || !r->has_value()) continue;   // expunged meanwhile: skip it
            content = std::move(**r);
        }
        std::string line = "* " + std::to_string(i + 1) + " FETCH (";
        bool first = true;
        for (const auto& it : items) {
            if (!first) line += ' ';
            first = false;
            append_fetch_item_name(line, it);
            line += ' ';
            switch (it.attr) {
            case FetchAttr::kFlags: append_flags(line, m.flags); break;
            case FetchAttr::kUid: line += std::to_string(m.uid); break;
            case FetchAttr::kInternalDate: append_date_time(line, m.internal_date, 0); break;
            case FetchAttr::kRfc822Size: line += std::to_string(m.size); break;
            case FetchAttr::kEnvelope: line += content->summary.envelope; break;
            case FetchAttr::kBody: line += content->summary.body; break;
            case FetchAttr::kBodyStructure: line += content->summary.bodystructure; break;
            case FetchAttr::kRfc822: append_literal(line, content->data); break;
            case FetchAttr::kRfc822Header: {
                Section s;
                s.text = Section::Text::kHeader;
                append_literal(line, section_text(s, content->summary, content->data));
                break;
            }
            case FetchAttr::kRfc822Text: {
                Section s;
                s.text = Section::Text::kText;
                append_literal(line, section_text(s, content->summary, content->data));
                break;
            }
            case FetchAttr::kBodySection: {
                std::string text = section_text(it.section, content->summary, content->data);
                if (it.partial) {
                    text = it.partial_offset >= text.size() ? std::string()
                                                            : text.substr(it.partial_offset, it.partial_length);
                }
                append_literal(line, text);
                break;
            }
            }
        }
        line += ")\r\n";
        out += line;
    }
    tagged(out, cmd.tag, "OK", cmd.uid ? "UID FETCH completed" : "FETCH completed");
}

io::Task<void> Session::store(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<StoreArgs>();
    if (sel_->read_only) {
        tagged(out, cmd.tag, "NO", "[READ-ONLY] Mailbox is read-only");
        co_return;
    }
    if (!cmd.uid && a.set.max_number() > sel_->messages.size()) {
        tagged(out, cmd.tag, "BAD", "Message sequence number out of range");
        co_return;
    }
    std::vector<size_t> idx = resolve(a.set, cmd.uid);
    std::vector<uint32_t> uids;
    for (size_t i : idx) uids.push_back(sel_->messages[i].uid);
    uint32_t bits = flag_bits(a.flags);
    uint32_t add = a.mode == StoreMode::kRemove ? 0 : bits;
    uint32_t remove = a.mode == StoreMode::kRemove ? bits : 0;
    if (!uids.empty()) {
        auto t = backend_.change_flags(user_, sel_->name, uids, add, remove, a.mode == StoreMode::kReplace);
        auto r = co_await std::move(t);
        if (!r) {
            no_from_error(cmd.tag, r.error(), out);
            co_return;
        }
        if (!sel_) co_return;
        for (auto [uid, flags] : *r) {
            auto it = std::lower_bound(sel_->messages.begin(), sel_->messages.end(), uid,
                                       [](const MessageInfo& m, uint32_t u) { return m.uid < u; });
            if (it != sel_->messages.end() && it->uid == uid) it->flags = flags;
        }
    }
    if (!a.silent) {
        for (size_t i : idx) {
            if (i >= sel_->messages.size()) break;
            const auto& m = sel_->messages[i];
            out += "* " + std::to_string(i + 1) + " FETCH (";
            if (cmd.uid) out += "UID " + std::to_string(m.uid) + " ";
            out += "FLAGS ";
            append_flags(out, m.flags);
            out += ")\r\n";
        }
    }
    tagged(out, cmd.tag, "OK", cmd.uid ? "UID STORE completed" : "STORE completed");
}

io::Task<void> Session::copy(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<CopyArgs>();
    const bool move = cmd.type == CommandType::kMove;
    if (move && sel_->read_only) {
        tagged(out, cmd.tag, "NO", "[READ-ONLY] Mailbox is read-only");
        co_return;
    }
    if (!cmd.uid && a.set.max_number() > sel_->messages.size()) {
        tagged(out, cmd.tag, "BAD", "Message sequence number out of range");
        co_return;
    }
    std::vector<uint32_t> uids;
    for (size_t i : resolve(a.set, cmd.uid)) uids.push_back(sel_->messages[i].uid);
    const char* done = move ? "MOVE completed" : "COPY completed";
    if (uids.empty()) {
        tagged(out, cmd.tag, "OK", done);
        co_return;
    }
    auto t = backend_.copy(user_, sel_->name, uids, a.mailbox, move);
    auto r = co_await std::move(t);
    if (!r) {
        no_from_error(cmd.tag, r.error(), out, true);
        co_return;
    }
    SequenceSet src, dst;
    std::vector<uint32_t> moved;
    for (auto [s, d] : r->uids) {
        src.add(s);
        dst.add(d);
        moved.push_back(s);
    }
    std::string code = r->uids.empty() ? std::string()
                                        : "[COPYUID " + std::to_string(r->uidvalidity) + " " + src.to_string() +
                                              " " + dst.to_string() + "] ";
    if (move) {
        if (!code.empty()) out += "* OK " + code + "Moved\r\n";
        expunged(moved, out);
    }
    if (sel_ && sel_->name == a.mailbox) {
        auto rt = refresh(out);
        co_await std::move(rt);
    }
    tagged(out, cmd.tag, "OK", move ? std::string(done) : code + done);
}

}  // namespace ringpost::imap
