// IMAP commands after parsing: the command type, the UID prefix and typed
// arguments (RFC 3501 6, RFC 9051 6, and the extensions ringpost speaks:
// ENABLE, ID, NAMESPACE, UNSELECT, UIDPLUS's UID EXPUNGE, MOVE, IDLE,
// LIST-EXTENDED/SPECIAL-USE/LIST-STATUS, SASL-IR, LITERAL+, MULTIAPPEND).
//
// Strings are owned and already unquoted. Mailbox names are UTF-8 (decoded
// from modified UTF-7) with INBOX spelled in upper case. The one exception
// is APPEND's message data, which is a view into the reader's buffer: a
// message may be tens of megabytes and is not copied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "imap/date_time.hpp"
#include "imap/sequence_set.hpp"

namespace ringpost::imap {

enum class CommandType : uint8_t {
    kCapability,
    kNoop,
    kLogout,
    kStarttls,
    kLogin,
    kAuthenticate,
    kEnable,
    kId,
    kNamespace,
    kSelect,
    kExamine,
    kCreate,
    kDelete,
    kRename,
    kSubscribe,
    kUnsubscribe,
    kList,
    kLsub,
    kStatus,
    kAppend,
    kCheck,
    kClose,
    kUnselect,
    kExpunge,
    kSearch,
    kFetch,
    kStore,
    kCopy,
    kMove,
    kIdle,
};

// The command's name in upper case ("UID" not included).
std::string_view command_name(CommandType type);

struct LoginArgs {
    std::string user;
    std::string password;
};

struct AuthenticateArgs {
    std::string mechanism;                          // upper case
    std::optional<std::string> initial_response;    // SASL-IR, still base64; "" for "="
};

struct EnableArgs {
    std::vector<std::string> capabilities;   // upper case
};

struct IdArgs {
    // Empty for "ID NIL". At most 30 pairs (RFC 2971 3.3).
    std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

// DELETE, SUBSCRIBE, UNSUBSCRIBE.
struct MailboxArgs {
    std::string mailbox;
};

// SELECT, EXAMINE. Unknown select parameters are parsed and ignored.
struct SelectArgs {
    std::string mailbox;
    bool condstore = false;
};

struct CreateArgs {
    std::string mailbox;
    std::vector<std::string> special_use;   // CREATE-SPECIAL-USE "(USE (\Sent))" (RFC 6154 3)
};

struct RenameArgs {
    std::string from;
    std::string to;
};

struct StatusItems {
    bool messages = false;
    bool recent = false;
    bool uidnext = false;
    bool uidvalidity = false;
    bool unseen = false;
    bool size = false;             // RFC 8438
    bool deleted = false;          // RFC 9051
    bool highestmodseq = false;    // RFC 7162
    bool any() const { return messages || recent || uidnext || uidvalidity || unseen || size || deleted || highestmodseq; }
};

struct StatusArgs {
    std::string mailbox;
    StatusItems items;
};

// LIST and LSUB (LSUB: exactly one pattern, no options). Reference and
// patterns are decoded but not INBOX-normalised: they are patterns.
struct ListArgs {
    std::string reference;
    std::vector<std::string> patterns;   // at least one
    bool extended = false;   // RFC 5258 syntax was used: options, several patterns, or RETURN
    // Selection options (RFC 5258 3, RFC 6154 4).
    bool select_subscribed = false;
    bool select_remote = false;
    bool select_recursive_match = false;
    bool select_special_use = false;
    // Return options (RFC 5258, RFC 6154, RFC 5819). Unknown ones are BAD.
    bool return_subscribed = false;
    bool return_children = false;
    bool return_special_use = false;
    bool return_status = false;
    StatusItems status_items;
};

struct AppendMessage {
    std::vector<std::string> flags;
    std::optional<DateTime> internal_date;
    std::string_view data;   // the literal, in the reader's buffer: valid until its next feed()
};

// One message, or several with MULTIAPPEND (RFC 3502).
struct AppendArgs {
    std::string mailbox;
    std::vector<AppendMessage> messages;
};

enum class SearchKind : uint8_t {
    kAll,
    kAnd,        // children: all must match (a parenthesised list, or the top level)
    kOr,         // children: two
    kNot,        // children: one
    kSequence,   // set: message sequence numbers
    kUid,        // set: UIDs
    kFlag,       // value: "\Seen" etc. (canonical case) or a keyword
    kFrom,       // value: substring, in the header or body named by the kind
    kTo,
    kCc,
    kBcc,
    kSubject,
    kBody,
    kText,
    kHeader,     // field: header name; value: substring ("" = field present)
    kSince,      // date: internal date
    kBefore,
    kOn,
    kSentSince,  // date: the Date: header
    kSentBefore,
    kSentOn,
    kLarger,     // number: RFC822.SIZE
    kSmaller,
};

// A SEARCH criterion as an expression tree. The flag keys are normalised:
// SEEN is kFlag "\Seen", UNSEEN is kNot(kFlag "\Seen"), RECENT is kFlag
// "\Recent", NEW is kAnd(\Recent, kNot \Seen), OLD is kNot(\Recent),
// KEYWORD k is kFlag k.
struct SearchKey {
    SearchKind kind = SearchKind::kAll;
    std::string field;
    std::string value;
    uint64_t number = 0;
    Date date;
    SequenceSet set;
    std::vector<SearchKey> children;
};

struct SearchArgs {
    std::string charset;   // as given (upper case); empty when no CHARSET was given
    SearchKey key;         // the top-level keys, ANDed (a single key stands alone)
};

// BODY[section]: part numbers, then what of that part.
struct Section {
    enum class Text : uint8_t {
        kAll,               // the whole part (BODY[] / BODY[1])
        kHeader,
        kHeaderFields,
        kHeaderFieldsNot,
        kText,
        kMime,              // only after part numbers
    };
    std::vector<uint32_t> part;         // "1.2.3" -> {1, 2, 3}; empty: the message itself
    Text text = Text::kAll;
    std::vector<std::string> fields;    // HEADER.FIELDS[.NOT] names, as sent
};

enum class FetchAttr : uint8_t {
    kFlags,
    kUid,
    kInternalDate,
    kRfc822Size,
    kRfc822,          // = BODY[] (sets \Seen)
    kRfc822Header,    // = BODY.PEEK[HEADER]
    kRfc822Text,      // = BODY[TEXT] (sets \Seen)
    kEnvelope,
    kBody,            // BODY: BODYSTRUCTURE without extension data
    kBodyStructure,
    kBodySection,     // BODY[section]<partial> and BODY.PEEK[...]
};

struct FetchItem {
    FetchAttr attr = FetchAttr::kFlags;
    bool peek = false;                // BODY.PEEK: do not set \Seen
    Section section;                  // kBodySection
    bool partial = false;             // "<offset.length>"
    uint32_t partial_offset = 0;
    uint32_t partial_length = 0;      // > 0
};

struct FetchArgs {
    SequenceSet set;
    std::vector<FetchItem> items;   // macros (ALL, FAST, FULL) expanded
};

enum class StoreMode : uint8_t { kReplace, kAdd, kRemove };

struct StoreArgs {
    SequenceSet set;
    StoreMode mode = StoreMode::kReplace;
    bool silent = false;
    std::vector<std::string> flags;   // system flags in canonical case ("\Seen")
};

// COPY and MOVE.
struct CopyArgs {
    SequenceSet set;
    std::string mailbox;
};

// UID EXPUNGE (RFC 4315).
struct UidExpungeArgs {
    SequenceSet set;
};

using CommandArgs = std::variant<std::monostate, LoginArgs, AuthenticateArgs, EnableArgs, IdArgs, MailboxArgs,
                                 SelectArgs, CreateArgs, RenameArgs, ListArgs, StatusArgs, AppendArgs, SearchArgs,
                                 FetchArgs, StoreArgs, CopyArgs, UidExpungeArgs>;

struct Command {
    std::string tag;
    CommandType type = CommandType::kNoop;
    bool uid = false;       // "UID FETCH/STORE/COPY/MOVE/SEARCH/EXPUNGE"
    CommandArgs args;       // std::monostate for commands without arguments
    // A mailbox name (or LIST pattern) that is well-formed IMAP syntax but
    // not valid modified UTF-7 (or UTF-8 with UTF8=ACCEPT): what is wrong
    // with it. The command is then answered NO, not BAD (no such mailbox
    // can exist), and the name in `args` is the undecoded one.
    std::string invalid_name;

    template <class T>
    T& get() { return std::get<T>(args); }
    template <class T>
    const T& get() const { return std::get<T>(args); }
};

}  // namespace ringpost::imap
