// inspect_message: header counts, answer TTLs, CNAMEs and the SOA minimum; see dns_message.hpp.
#include "dns/dns_message.hpp"

#include <algorithm>
#include <cctype>

namespace ringpost::dns {
namespace {

constexpr uint16_t kTypeCname = 5;
constexpr size_t kMaxNameOctets = 255;
constexpr uint16_t kTypeSoa = 6;

class Reader {
public:
    Reader(const unsigned char* d, size_t n) : d_(d), n_(n) {}
    bool ok() const { return ok_; }
    size_t pos() const { return pos_; }
    bool u16(uint16_t& v) {
        if (!need(2)) return false;
        v = static_cast<uint16_t>(d_[pos_] << 8 | d_[pos_ + 1]);
        pos_ += 2;
        return true;
    }
    bool u32(uint32_t& v) {
        if (!need(4)) return false;
        v = static_cast<uint32_t>(d_[pos_]) << 24 | static_cast<uint32_t>(d_[pos_ + 1]) << 16 |
            static_cast<uint32_t>(d_[pos_ + 2]) << 8 | d_[pos_ + 3];
        pos_ += 4;
        return true;
    }
    bool skip(size_t k) {
        if (!need(k)) return false;
        pos_ += k;
        return true;
    }
    // A domain name (RFC 1035 4.1.4, compression pointers followed), read
    // as lower-case text without the trailing dot; the reader moves past it.
    // A name over 255 octets (RFC 1035 3.1) is malformed: pointers could
    // otherwise expand every name of a reply to kilobytes.
    bool name(std::string& out) {
        out.clear();
        size_t at = pos_;
        size_t after = 0;   // where the reader goes on: behind the first pointer, else behind the name
        size_t octets = 1;  // the expanded name on the wire, its root label included
        for (int hops = 0; hops < 128; ++hops) {
            if (at >= n_) return fail();
            const unsigned char len = d_[at];
            if (len == 0) {
                pos_ = after ? after : at + 1;
                return true;
            }
            if ((len & 0xC0) == 0xC0) {
                if (at + 1 >= n_) return fail();
                if (!after) after = at + 2;
                at = static_cast<size_t>(len & 0x3F) << 8 | d_[at + 1];
                continue;
            }
            if ((len & 0xC0) != 0 || at + 1 + len > n_) return fail();
            octets += 1u + len;
            if (octets > kMaxNameOctets) return fail();
            if (!out.empty()) out += '.';
            for (size_t i = 0; i < len; ++i)
                out += static_cast<char>(std::tolower(static_cast<unsigned char>(d_[at + 1 + i])));
            at += 1u + len;
        }
        return fail();   // a pointer loop
    }
    // A domain name in place: labels up to the root, or up to a compression pointer.
    bool skip_name() {
        for (int labels = 0; labels < 128; ++labels) {
            if (!need(1)) return false;
            unsigned char len = d_[pos_];
            if (len == 0) return skip(1);
            if ((len & 0xC0) == 0xC0) return skip(2);
            if ((len & 0xC0) != 0) return fail();
            if (!skip(1u + len)) return false;
        }
        return fail();
    }

private:
    bool need(size_t k) {
        if (!ok_ || n_ - pos_ < k) return fail();
        return true;
    }
    bool fail() {
        ok_ = false;
        return false;
    }
    const unsigned char* d_;
    size_t n_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace

MessageInfo inspect_message(const unsigned char* data, size_t len) {
    MessageInfo info;
    if (data == nullptr) return info;
    Reader r(data, len);
    uint16_t id, flags, qd, an, ns, ar;
    if (!r.u16(id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar)) return info;
    (void)ar;
    info.rcode = flags & 0x0F;
    info.answer_count = an;
    for (uint16_t i = 0; i < qd; ++i)
        if (!r.skip_name() || !r.skip(4)) return info;
    std::string owner;
    for (unsigned i = 0; i < static_cast<unsigned>(an) + ns; ++i) {
        uint16_t type, klass, rdlen;
        uint32_t ttl;
        if (!r.name(owner) || !r.u16(type) || !r.u16(klass) || !r.u32(ttl) || !r.u16(rdlen)) return info;
        if (ttl & 0x80000000u) ttl = 0;  // RFC 2181 8: a TTL with the top bit set means 0
        if (i < an) {
            info.min_answer_ttl = info.min_answer_ttl ? std::min(*info.min_answer_ttl, ttl) : ttl;
            if (type == kTypeCname) {
                const size_t end = r.pos() + rdlen;
                std::string target;
                if (!r.name(target) || r.pos() != end) return info;
                info.cnames.emplace_back(owner, std::move(target));
            } else if (!r.skip(rdlen)) {
                return info;
            }
        } else if (type == kTypeSoa) {
            size_t end = r.pos() + rdlen;
            uint32_t serial, refresh, retry, expire, minimum;
            if (!r.skip_name() || !r.skip_name() || !r.u32(serial) || !r.u32(refresh) || !r.u32(retry) ||
                !r.u32(expire) || !r.u32(minimum) || r.pos() != end)
                return info;
            uint32_t neg = std::min(ttl, minimum);
            info.negative_ttl = info.negative_ttl ? std::min(*info.negative_ttl, neg) : neg;
        } else if (!r.skip(rdlen)) {
            return info;
        }
    }
    info.valid = r.ok();
    return info;
}

}  // namespace ringpost::dns
