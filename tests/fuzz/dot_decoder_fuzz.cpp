// Fuzz target: the DATA decoder (src/smtp/dot_decoder.hpp). The same bytes
// are decoded once whole and once in random chunks; both must agree on the
// output, on where the end of data is and on the counters, since a TCP
// stream may be split anywhere. The output has CRLF line ends only and is
// never longer than the size limit (the message is rejected beyond it).
#include <string>

#include "fuzz_input.hpp"
#include "smtp/dot_decoder.hpp"

using ringpost::smtp::DotDecoder;

namespace {

struct Decoded {
    std::string out;
    size_t end = 0;   // bytes of the input up to and including the end-of-data line
    bool done = false;
    uint64_t bytes = 0, longest = 0;
    bool overflowed = false;
};

template <typename NextChunk>
Decoded decode(std::string_view input, uint64_t limit, NextChunk&& next_chunk) {
    DotDecoder d;
    d.reset(limit);
    Decoded r;
    size_t pos = 0;
    while (pos < input.size() && !r.done) {
        size_t n = next_chunk();
        if (n > input.size() - pos) n = input.size() - pos;
        DotDecoder::Result res = d.feed(input.substr(pos, n), r.out);
        FUZZ_CHECK(res.consumed <= n);
        FUZZ_CHECK(res.done || res.consumed == n);
        pos += res.consumed;
        r.done = res.done;
    }
    r.end = pos;
    r.bytes = d.bytes();
    r.longest = d.longest_line();
    r.overflowed = d.overflowed();
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringpost::fuzz::FuzzInput in(data, size);
    const uint64_t limit = in.option(0) ? in.options() * 4u : UINT64_MAX;
    Decoded whole = decode(in.bytes(), limit, [] { return SIZE_MAX; });
    Decoded split = decode(in.bytes(), limit, [&] { return in.next_chunk(); });
    // Past the limit the message is lost and output stops mid-chunk, so
    // what was kept depends on the chunking; below it, nothing may.
    if (!whole.overflowed) FUZZ_CHECK(whole.out == split.out);
    FUZZ_CHECK(whole.end == split.end);
    FUZZ_CHECK(whole.done == split.done);
    FUZZ_CHECK(whole.bytes == split.bytes);
    FUZZ_CHECK(whole.longest == split.longest);
    FUZZ_CHECK(whole.overflowed == split.overflowed);
    FUZZ_CHECK(whole.out.size() <= limit);
    FUZZ_CHECK(whole.overflowed == (whole.bytes > limit));
    for (size_t i = whole.out.find('\n'); i != std::string::npos; i = whole.out.find('\n', i + 1))
        FUZZ_CHECK(i > 0 && whole.out[i - 1] == '\r');
    if (whole.done) {
        std::string_view consumed = in.bytes().substr(0, whole.end);
        FUZZ_CHECK(consumed.size() >= 3 && consumed.substr(consumed.size() - 3) == ".\r\n");
    }
    return 0;
}
