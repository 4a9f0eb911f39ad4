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
    auto expunging = expunged(*r, out);
    co_await std::move(expunging);
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
    std::vector<std::string> keywords;
    uint32_t bits = flag_bits(a.flags, keywords);
    // Keywords are defined on first use (not for -FLAGS: an unknown one is
    // on no message).
    auto defining = keyword_bits(sel_->name, std::move(keywords), a.mode != StoreMode::kRemove, out);
    auto keyword_flags = co_await std::move(defining);
    if (!keyword_flags) {
        no_from_error(cmd.tag, keyword_flags.error(), out);
        co_return;
    }
    bits |= *keyword_flags;
    const uint32_t add = a.mode == StoreMode::kRemove ? 0 : bits;
    const uint32_t remove = a.mode == StoreMode::kRemove ? bits : 0;
    auto expected = [&](uint32_t old) { return a.mode == StoreMode::kReplace ? add : (old | add) & ~remove; };
    // Messages to report even with .SILENT: where the result is not what
    // this STORE alone would give, someone else changed them (RFC 3501 6.4.6).
    std::vector<bool> report(idx.size(), !a.silent);
    if (!uids.empty()) {
        auto t = backend_.change_flags(user_, sel_->name, uids, add, remove, a.mode == StoreMode::kReplace, origin());
        auto r = co_await std::move(t);
        if (!r) {
            no_from_error(cmd.tag, r.error(), out);
            co_return;
        }
        if (!sel_) co_return;
        size_t j = 0;   // r is in ascending UID order, as idx is
        for (size_t k = 0; k < idx.size(); ++k) {
            if (idx[k] >= sel_->messages.size()) break;
            MessageInfo& m = sel_->messages[idx[k]];
            const uint32_t want = expected(m.flags);
            while (j < r->size() && (*r)[j].first < m.uid) ++j;
            if (j < r->size() && (*r)[j].first == m.uid) {
                m.flags = (*r)[j].second;
                if (m.flags != want) report[k] = true;
            } else {
                // Unchanged by us: the stored flags already were `want`.
                if (want != m.flags) report[k] = true;
                m.flags = want;
            }
        }
    }
    CommandBudget pacing = ring_pacing();
    for (size_t k = 0; k < idx.size(); ++k) {
        if ((k + 1) % kPaceEvery == 0) {
            auto p = pacing.checkpoint();
            co_await std::move(p);
            if (!sel_) co_return;
        }
        if (!report[k] || idx[k] >= sel_->messages.size()) continue;
        const auto& m = sel_->messages[idx[k]];
        out += "* " + std::to_string(idx[k] + 1) + " FETCH (";
        if (cmd.uid) out += "UID " + std::to_string(m.uid) + " ";
        out += "FLAGS ";
        append_flags(out, m.flags, sel_->keywords, sel_->is_recent(m.uid));
        out += ")\r\n";
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
    std::vector<uint32_t> moved, copies;
    for (auto [s, d] : r->uids) {
        moved.push_back(s);
        copies.push_back(d);
    }
    std::string code = r->uids.empty() ? std::string()
                                        : "[COPYUID " + std::to_string(r->uidvalidity) + " " +
                                              SequenceSet::compress(moved) + " " + SequenceSet::compress(copies) +
                                              "] ";
    if (move) {
        if (!code.empty()) out += "* OK " + code + "Moved\r\n";
        auto expunging = expunged(moved, out);
        co_await std::move(expunging);
    }
    if (sel_ && sel_->name == a.mailbox) {
        auto rt = refresh(out);
        co_await std::move(rt);
    }
    tagged(out, cmd.tag, "OK", move ? std::string(done) : code + done);
}

}  // namespace ringpost::imap
