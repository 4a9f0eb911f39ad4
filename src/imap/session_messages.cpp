// The IMAP session: EXPUNGE, STORE, COPY and MOVE (see session.hpp).
#include "imap/session.hpp"

#include <algorithm>

#include "imap/session_util.hpp"

namespace ringpost::imap {

using namespace detail;

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
    auto t = backend_.expunge(user_, sel_->name, std::move(uids), true, origin());
    auto r = co_await std::move(t);
    if (!r) {
        no_from_error(cmd.tag, r.error(), out);
        co_return;
    }
    expunged(*r, out);
    tagged(out, cmd.tag, "OK", "EXPUNGE completed");
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
        auto t = backend_.change_flags(user_, sel_->name, uids, add, remove, a.mode == StoreMode::kReplace, origin());
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
    auto t = backend_.copy(user_, sel_->name, uids, a.mailbox, move, origin());
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
