// Shared by the libFuzzer targets (docs/FUZZING.md): how one fuzz input
// becomes the byte chunks a parser is fed, and the check that stops the run.
//
// Input layout: byte 0 chooses the chunking, byte 1 is a set of option bits
// the target maps to its configuration (TLS offered, AUTH allowed, ...), the
// rest is the stream of bytes the peer sends. Chunk sizes come from a small
// generator seeded by byte 0, so the same data arrives split in many ways
// (a CRLF across two reads, one byte at a time, all at once) and the
// fuzzer can still minimise a crash to one exact split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ringpost::fuzz {

// A failed invariant is a crash for libFuzzer, with the message on stderr.
#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                             \
        }                                                                             \
    } while (0)

class FuzzInput {
public:
    FuzzInput(const uint8_t* data, size_t size) {
        if (size > 0) chunk_seed_ = data[0];
        if (size > 1) options_ = data[1];
        size_t skip = size < 2 ? size : 2;
        bytes_ = std::string_view(reinterpret_cast<const char*>(data) + skip, size - skip);
        state_ = chunk_seed_ * 2654435761u + 1;
    }

    uint8_t options() const { return options_; }
    bool option(int bit) const { return (options_ >> bit) & 1; }
    std::string_view bytes() const { return bytes_; }

    // The next chunk size: seed 0 = everything at once, 1 = one byte at a
    // time, otherwise 1..(seed % 64 + 1) bytes at random, now and then a
    // large read.
    size_t next_chunk() {
        if (chunk_seed_ == 0) return SIZE_MAX;
        if (chunk_seed_ == 1) return 1;
        state_ = state_ * 1103515245u + 12345u;
        uint32_t r = state_ >> 8;
        if (r % 16 == 0) return 4096;
        return 1 + r % (chunk_seed_ % 64 + 1);
    }

private:
    uint8_t chunk_seed_ = 0;
    uint8_t options_ = 0;
    uint32_t state_ = 1;
    std::string_view bytes_;
};

// Calls feed(chunk) for successive chunks of `in.bytes()`.
template <typename Feed>
void for_each_chunk(FuzzInput& in, Feed&& feed) {
    std::string_view rest = in.bytes();
    while (!rest.empty()) {
        size_t n = in.next_chunk();
        if (n > rest.size()) n = rest.size();
        feed(rest.substr(0, n));
        rest.remove_prefix(n);
    }
}

}  // namespace ringpost::fuzz
