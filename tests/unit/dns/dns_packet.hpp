// Test helper: builds DNS messages byte by byte (RFC 1035 4.1), for the
// message/reply tests and the fake server's answers, and reads the question
// of a query.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringpost::dns::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
inline void put_name(Bytes& b, std::string_view name) {
    while (!name.empty()) {
        size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        b.push_back(static_cast<uint8_t>(label.size()));
        b.insert(b.end(), label.begin(), label.end());
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    b.push_back(0);
}

inline Bytes rdata_a(const char* ip) {
    Bytes b(4);
    inet_pton(AF_INET, ip, b.data());
    return b;
}
inline Bytes rdata_aaaa(const char* ip) {
    Bytes b(16);
    inet_pton(AF_INET6, ip, b.data());
    return b;
}
inline Bytes rdata_name(std::string_view name) {
    Bytes b;
    put_name(b, name);
    return b;
}
inline Bytes rdata_mx(uint16_t pref, std::string_view host) {
    Bytes b;
    put16(b, pref);
    put_name(b, host);
    return b;
}
inline Bytes rdata_soa(uint32_t minimum) {
    Bytes b;
    put_name(b, "ns.test");
    put_name(b, "hostmaster.test");
    for (uint32_t v : {1u, 3600u, 600u, 86400u}) put32(b, v);
    put32(b, minimum);
    return b;
}

struct Rr {
    std::string name;
    uint16_t type;
    uint32_t ttl;
    Bytes rdata;
};

// A reply: header, the question, answer and authority records.
inline Bytes make_reply(uint16_t id, int rcode, std::string_view qname, uint16_t qtype, const std::vector<Rr>& answers,
                        const std::vector<Rr>& authority = {}) {
    Bytes b;
    put16(b, id);
    put16(b, static_cast<uint16_t>(0x8180 | rcode));  // QR, RD, RA
    put16(b, 1);
    put16(b, static_cast<uint16_t>(answers.size()));
    put16(b, static_cast<uint16_t>(authority.size()));
    put16(b, 0);
    put_name(b, qname);
    put16(b, qtype);
    put16(b, 1);
    for (const auto* section : {&answers, &authority}) {
        for (const Rr& rr : *section) {
            put_name(b, rr.name);
            put16(b, rr.type);
            put16(b, 1);
            put32(b, rr.ttl);
            put16(b, static_cast<uint16_t>(rr.rdata.size()));
            b.insert(b.end(), rr.rdata.begin(), rr.rdata.end());
        }
    }
    return b;
}

struct Question {
    uint16_t id = 0;
    std::string name;  // lowercase as sent, no trailing dot
    uint16_t type = 0;
    bool ok = false;
};

inline Question parse_query(const uint8_t* p, size_t n) {
    Question q;
    if (n < 12) return q;
    q.id = static_cast<uint16_t>(p[0] << 8 | p[1]);
    size_t pos = 12;
    while (pos < n && p[pos] != 0) {
        size_t len = p[pos];
        if (pos + 1 + len > n) return q;
        if (!q.name.empty()) q.name += '.';
        q.name.append(reinterpret_cast<const char*>(p + pos + 1), len);
        pos += 1 + len;
    }
    if (pos + 5 > n) return q;
    q.type = static_cast<uint16_t>(p[pos + 1] << 8 | p[pos + 2]);
    q.ok = true;
    return q;
}

}  // namespace ringpost::dns::test
