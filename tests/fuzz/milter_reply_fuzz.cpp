// Fuzz target: the milter client's reply parser (src/milter/codec.hpp)
// reading what a milter sends, and the replies taken by a message's
// exchange at the end of its body and applied as edits. The bytes are
// parsed once whole and once in random chunks (a stream splits anywhere);
// both must give the same replies and the same error. Every reply the
// parser passes must be safe to act on: a REPLYCODE parses as a 4xx/5xx
// reply, header names have no ':' or blanks, and the edited message keeps
// its size in its envelope.
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "milter/codec.hpp"
#include "milter/edit.hpp"
#include "milter/exchange.hpp"
#include "milter/protocol.hpp"

using namespace ringpost::milter;

namespace {

struct Parsed {
    std::vector<Reply> replies;
    std::string error;
};

void check_reply(const Reply& r) {
    if (r.code == rep::kReplyCode) {
        auto smtp = parse_smtp_reply(r.text);
        FUZZ_CHECK(smtp.ok());
        FUZZ_CHECK(smtp->code >= 400 && smtp->code <= 599);
    }
    for (char c : r.name) FUZZ_CHECK(c > ' ' && c != ':' && c != 127);
    FUZZ_CHECK(r.text.size() < kMaxPacket);
}

template <typename NextChunk>
Parsed parse(std::string_view input, NextChunk&& next_chunk) {
    Parsed p;
    std::string pending;
    size_t pos = 0;
    while (pos < input.size() && p.error.empty()) {
        size_t n = next_chunk();
        if (n > input.size() - pos) n = input.size() - pos;
        pending.append(input.substr(pos, n));
        pos += n;
        for (;;) {
            Reply r;
            size_t consumed = 0;
            const Parse st = next_reply(pending, consumed, r, p.error);
            FUZZ_CHECK(consumed <= pending.size());
            if (st != Parse::kReply) {
                FUZZ_CHECK(st == Parse::kError ? !p.error.empty() : consumed == 0);
                break;
            }
            FUZZ_CHECK(consumed >= 5);
            pending.erase(0, consumed);
            check_reply(r);
            p.replies.push_back(std::move(r));
        }
    }
    return p;
}

bool same(const std::vector<Reply>& a, const std::vector<Reply>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].code != b[i].code || a[i].text != b[i].text || a[i].name != b[i].name || a[i].value != b[i].value ||
            a[i].index != b[i].index)
            return false;
    return true;
}

// The replies as the answers to a message that asked for no reply before
// the end of its body; the edits then go onto the message.
void converse(const std::vector<Reply>& replies) {
    ringpost::mail::Envelope env;
    env.queue_id = "0000000000000001";
    env.recipients.emplace_back();
    env.recipients.back().address = "b@example.net";
    std::string data = "Received: by mx\r\nSubject: s\r\nX-A: 1\r\n\r\nbody\r\n";
    Transaction t;
    t.envelope = &env;
    t.data = data;
    t.hostname = "mx.example";
    Exchange ex(t, kNoConnect | kNoHelo | kNoMail | kNoRcpt | kNoData | kNoHeaders | kNoEndOfHeaders | kNoBody);
    std::string out;
    ex.write(out);
    for (const Reply& r : replies) {
        if (!ex.awaiting() || !ex.on_reply(r).ok()) break;
    }
    if (!ex.finished() || ex.outcome().verdict != Verdict::kAccept) return;
    apply_edits(ex.outcome().edits, env, data, [](ringpost::mail::Recipient& r) { return r.address.size() < 64; });
    FUZZ_CHECK(env.body_size == data.size());
    FUZZ_CHECK(data.find("\r\n\r\n") != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringpost::fuzz::FuzzInput in(data, size);
    Parsed whole = parse(in.bytes(), [] { return SIZE_MAX; });
    Parsed split = parse(in.bytes(), [&] { return in.next_chunk(); });
    FUZZ_CHECK(same(whole.replies, split.replies));
    FUZZ_CHECK(whole.error == split.error);
    converse(whole.replies);
    return 0;
}
