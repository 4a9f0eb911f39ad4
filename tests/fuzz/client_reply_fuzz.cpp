// Fuzz target: the delivery client's reply parser (src/delivery/client_reply.hpp)
// reading what a remote SMTP server sends. The bytes are parsed once whole
// and once in random chunks; both must give the same replies and the same
// error, since a TCP stream may be split anywhere. Every reply has a code
// of class 2-5, a bounded number of lines, and an enhanced code of its class.
#include <string>
#include <vector>

#include "delivery/client_reply.hpp"
#include "fuzz_input.hpp"

using ringpost::delivery::ReplyParser;
using ringpost::delivery::ServerReply;

namespace {

struct Parsed {
    std::vector<std::string> replies;   // ServerReply::to_string() plus the line count
    std::string error;
};

void check_reply(const ServerReply& r) {
    FUZZ_CHECK(r.code >= 200 && r.code <= 599);
    FUZZ_CHECK(!r.lines.empty() && r.lines.size() <= ReplyParser::kMaxLines);
    if (!r.enhanced.empty()) FUZZ_CHECK(r.enhanced[0] == static_cast<char>('0' + r.klass()));
    for (const std::string& l : r.lines) FUZZ_CHECK(l.size() <= ReplyParser::kMaxLine);
}

template <typename NextChunk>
Parsed parse(std::string_view input, NextChunk&& next_chunk) {
    ReplyParser p;
    Parsed r;
    std::string pending;   // like the client's buffer: what the parser left unconsumed
    size_t pos = 0;
    while (pos < input.size() && r.error.empty()) {
        size_t n = next_chunk();
        if (n > input.size() - pos) n = input.size() - pos;
        pending.append(input.substr(pos, n));
        pos += n;
        for (int rounds = 0; rounds < 100000 && r.error.empty(); ++rounds) {
            size_t consumed = 0;
            ReplyParser::Status st = p.feed(pending, consumed);
            FUZZ_CHECK(consumed <= pending.size());
            pending.erase(0, consumed);
            if (st == ReplyParser::Status::kError) {
                r.error = p.error();
                FUZZ_CHECK(!r.error.empty());
            } else if (st == ReplyParser::Status::kReply) {
                ServerReply reply = p.take();
                check_reply(reply);
                r.replies.push_back(reply.to_string() + " /" + std::to_string(reply.lines.size()));
            } else {
                FUZZ_CHECK(pending.empty());
                break;
            }
        }
    }
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringpost::fuzz::FuzzInput in(data, size);
    Parsed whole = parse(in.bytes(), [] { return SIZE_MAX; });
    Parsed split = parse(in.bytes(), [&] { return in.next_chunk(); });
    FUZZ_CHECK(whole.replies == split.replies);
    FUZZ_CHECK(whole.error == split.error);
    return 0;
}
