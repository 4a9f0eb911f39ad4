// Fuzz target: the PROXY protocol header parser (src/proto/proxy_header.hpp),
// which reads the first bytes of every connection to a proxy_protocol
// listener. The bytes arrive in random chunks, as the reader
// (proxy_reader.cpp) peeks at them, and each growing prefix is parsed
// again. Checks: a complete header's length is within the input, within
// the version's bounds, and the same whatever follows it (the bytes
// behind it are the next protocol's); addresses are AF_INET or AF_INET6;
// "need more" asks for more than it has; and a prefix's verdict never
// changes as more bytes arrive (complete stays complete with the same
// length, invalid stays invalid with the same reason), which is what lets
// the reader take every byte of an incomplete header off the socket.
#include <cstring>
#include <string>

#include "fuzz_input.hpp"
#include "proto/proxy_header.hpp"

using namespace ringpost;
using namespace ringpost::proto;
using Status = ProxyParse::Status;

namespace {

void check_one(std::string_view input, const ProxyParse& p) {
    if (p.status == Status::kNeedMore) {
        FUZZ_CHECK(p.need > input.size());
        return;
    }
    if (p.status == Status::kInvalid) {
        FUZZ_CHECK(p.reason != nullptr && std::strlen(p.reason) > 0);
        return;
    }
    const ProxyHeader& h = p.header;
    FUZZ_CHECK(h.length <= input.size());
    FUZZ_CHECK(h.version == 1 || h.version == 2);
    if (h.version == 1) FUZZ_CHECK(h.length >= 15 && h.length <= kProxyV1MaxLength);
    if (h.version == 2) FUZZ_CHECK(h.length >= kProxyV2FixedLength && h.length <= kProxyV2FixedLength + 65535);
    if (h.has_addresses) {
        FUZZ_CHECK(h.source.ss_family == AF_INET || h.source.ss_family == AF_INET6);
        FUZZ_CHECK(h.destination.ss_family == h.source.ss_family);
    }
    // The header alone parses the same; one byte less is not a header yet.
    const ProxyParse alone = parse_proxy_header(input.substr(0, h.length));
    FUZZ_CHECK(alone.status == Status::kComplete && alone.header.length == h.length);
    FUZZ_CHECK(std::memcmp(&alone.header.source, &h.source, sizeof h.source) == 0);
    FUZZ_CHECK(parse_proxy_header(input.substr(0, h.length - 1)).status == Status::kNeedMore);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    const std::string_view whole = in.bytes();
    const ProxyParse final_parse = parse_proxy_header(whole);
    check_one(whole, final_parse);
    std::string seen;
    bool settled = false;
    fuzz::for_each_chunk(in, [&](std::string_view chunk) {
        if (settled) return;
        seen.append(chunk);
        const ProxyParse p = parse_proxy_header(seen);
        check_one(seen, p);
        if (p.status == Status::kNeedMore) return;
        settled = true;
        FUZZ_CHECK(p.status == final_parse.status);
        if (p.status == Status::kComplete) FUZZ_CHECK(p.header.length == final_parse.header.length);
        if (p.status == Status::kInvalid) FUZZ_CHECK(std::strcmp(p.reason, final_parse.reason) == 0);
    });
    return 0;
}
