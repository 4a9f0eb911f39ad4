// Keywords (IMAP custom flags) as bits of a message's flag word, indexed by
// the mailbox's keyword table (mailboxes.hpp, kFirstKeywordBit).
#include <cctype>
#include <mutex>

#include "store/keys.hpp"
#include "store/mailbox_common.hpp"
#include "store/write_txn.hpp"
#include "store/store.hpp"

namespace ringpost::store {
namespace {

bool same_keyword(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Index of `name` in `table`, or -1.
int find_keyword(const std::vector<std::string>& table, std::string_view name) {
    for (size_t i = 0; i < table.size(); ++i)
        if (same_keyword(table[i], name)) return static_cast<int>(i);
    return -1;
}

uint32_t bit_of(size_t index) { return 1u << (kFirstKeywordBit + index); }

}  // namespace

bool keyword_bits(std::vector<std::string>& table, const std::vector<std::string>& names, bool define,
                  uint32_t& bits) {
    bits = 0;
    size_t missing = 0;
    for (const auto& n : names)
        if (find_keyword(table, n) < 0) ++missing;
    if (define && table.size() + missing > kMaxKeywords) return false;
    for (const auto& n : names) {
        int i = find_keyword(table, n);
        if (i < 0 && define) {
            table.push_back(n);
            i = static_cast<int>(table.size() - 1);
        }
        if (i >= 0) bits |= bit_of(static_cast<size_t>(i));
    }
    return true;
}

uint32_t carry_keywords(uint32_t flags, const std::vector<std::string>& from, std::vector<std::string>& to) {
    uint32_t out = flags & kSystemFlags;
    for (size_t i = 0; i < from.size() && i < kMaxKeywords; ++i) {
        if (!(flags & bit_of(i))) continue;
        int j = find_keyword(to, from[i]);
        if (j < 0 && to.size() < kMaxKeywords) {
            to.push_back(from[i]);
            j = static_cast<int>(to.size() - 1);
        }
        if (j >= 0) out |= bit_of(static_cast<size_t>(j));
    }
    return out;
}

Result<uint32_t> Mailboxes::keyword_flags(std::string_view user_in, std::string_view mailbox,
                                      const std::vector<std::string>& names, bool define) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();
    const std::string key = keys::mailbox_key(*user, mailbox);
    if (!define) {
        auto meta = impl_.read_meta(key);
        if (!meta) return meta.error();
        if (!meta->has_value()) return no_such_mailbox(mailbox);
        uint32_t bits = 0;
        keyword_bits((*meta)->keywords, names, false, bits);
        return bits;
    }
    return impl_.write<uint32_t>([&](WriteTxn& txn) -> Result<uint32_t> {
        auto meta = txn.read_meta(key);
        if (!meta) return meta.error();
        if (!meta->has_value()) return no_such_mailbox(mailbox);
        MailboxMeta& m = **meta;
        const size_t before = m.keywords.size();
        uint32_t bits = 0;
        if (!keyword_bits(m.keywords, names, true, bits))
            return make_error("mailbox " + std::string(mailbox) + " has no room for more keywords", kTooManyKeywords);
        if (m.keywords.size() != before) txn.put_meta(key, m);
        return bits;
    });
}

}  // namespace ringpost::store
