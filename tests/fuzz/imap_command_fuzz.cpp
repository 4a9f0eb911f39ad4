// Fuzz target: the IMAP command reader and parser (src/imap/command_reader.hpp,
// src/imap/parser.hpp) reading a client's bytes in random chunks, as the
// session does: literals (synchronizing, LITERAL+, literal8), limits and
// resynchronisation, IDLE's DONE line, then every command's arguments
// (sequence sets, FETCH items and sections, SEARCH keys, STORE flags, LIST
// patterns, APPEND with dates and several messages, mailbox names in
// modified UTF-7 or UTF-8). Checks: the reader stays within its bounds, every
// error is a sendable BAD line, and the parsed values are usable (sequence
// sets resolve and iterate consistently, names re-encode).
#include <string>

#include "fuzz_input.hpp"
#include "imap/command_reader.hpp"
#include "imap/parser.hpp"
#include "imap/response.hpp"

using namespace ringpost::imap;

namespace {

void check_sendable(std::string_view s) {
    FUZZ_CHECK(!s.empty());
    FUZZ_CHECK(s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
}

// Uses a parsed command the way the session would.
void exercise(const Command& cmd, uint32_t max) {
    std::string out;
    if (const auto* f = std::get_if<FetchArgs>(&cmd.args)) {
        FUZZ_CHECK(!f->items.empty());
        for (const FetchItem& item : f->items) append_fetch_item_name(out, item);
        uint64_t n = 0;
        f->set.for_each(max, [&](uint32_t v) {
            FUZZ_CHECK(v >= 1 && v <= max);
            FUZZ_CHECK(f->set.contains(v, max));
            ++n;
        });
        FUZZ_CHECK(n == f->set.count(max));
    } else if (const auto* s = std::get_if<StoreArgs>(&cmd.args)) {
        append_flag_list(out, s->flags);
        (void)s->set.resolve(max);
    } else if (const auto* l = std::get_if<ListArgs>(&cmd.args)) {
        FUZZ_CHECK(!l->patterns.empty());
        for (const std::string& p : l->patterns) append_mailbox(out, p);
    } else if (const auto* a = std::get_if<AppendArgs>(&cmd.args)) {
        FUZZ_CHECK(!a->messages.empty());
    } else if (const auto* sel = std::get_if<SelectArgs>(&cmd.args)) {
        append_mailbox(out, sel->mailbox);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ringpost::fuzz::FuzzInput in(data, size);
    ReaderLimits limits;
    limits.max_line = 256;
    limits.max_literal = 512;
    limits.max_command = 2048;
    CommandReader reader(limits);
    ParseOptions options;
    options.utf8 = in.option(0);
    const uint32_t max = in.options() >> 2;   // messages in the "mailbox"
    std::string pending;
    bool fatal = false;
    ringpost::fuzz::for_each_chunk(in, [&](std::string_view chunk) {
        if (fatal) return;
        pending.append(chunk);
        for (int rounds = 0; rounds < 100000; ++rounds) {
            size_t used = 0;
            ReadEvent ev = reader.feed(pending, used);
            FUZZ_CHECK(used <= pending.size());
            pending.erase(0, used);
            FUZZ_CHECK(reader.pending().text.size() <= limits.max_command + limits.max_line + 2);
            switch (ev) {
                case ReadEvent::kNeedInput:
                    FUZZ_CHECK(pending.empty());
                    return;
                case ReadEvent::kContinue:
                    // The session refuses some literals (APPEND too big).
                    if (in.option(1) && reader.pending_literal() > 64) reader.abort_command();
                    break;
                case ReadEvent::kCommand: {
                    ParseResult r = parse_command(reader.command(), options);
                    check_sendable(r.command.tag);
                    if (r.ok()) {
                        exercise(r.command, max);
                        if (r.command.type == CommandType::kIdle || r.command.type == CommandType::kAuthenticate)
                            reader.expect_line();
                    } else {
                        check_sendable(r.error);
                    }
                    break;
                }
                case ReadEvent::kLine:
                    (void)CommandReader::is_idle_done(reader.line());
                    break;
                case ReadEvent::kError:
                    check_sendable(reader.error().tag);
                    check_sendable(reader.error().text);
                    break;
                case ReadEvent::kFatal:
                    check_sendable(reader.error().text);
                    fatal = true;
                    return;
            }
        }
    });
    return 0;
}
