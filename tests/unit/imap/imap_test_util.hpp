// Helpers for the src/imap tests: run wire bytes through a CommandReader
// (answering continuations) and parse what comes out.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "imap/command_reader.hpp"
#include "imap/parser.hpp"

namespace ringpost::imap::test {

// Reads one command from `wire` (CRLFs and literal data included) and
// parses it. The reader is kept so APPEND's data views stay valid.
class Wire {
public:
    explicit Wire(const ReaderLimits& limits = {}) : reader_(limits) {}

    ParseResult parse(std::string_view wire, const ParseOptions& options = {}) {
        continues_ = 0;
        size_t pos = 0;
        while (true) {
            size_t used = 0;
            ReadEvent ev = reader_.feed(wire.substr(pos), used);
            pos += used;
            if (ev == ReadEvent::kCommand) {
                EXPECT_EQ(pos, wire.size()) << "bytes left after the command";
                return parse_command(reader_.command(), options);
            }
            if (ev == ReadEvent::kContinue) {
                ++continues_;
                continue;
            }
            ADD_FAILURE() << "reader did not produce a command (event " << static_cast<int>(ev) << ")";
            ParseResult r;
            r.error = "no command";
            return r;
        }
    }

    int continues() const { return continues_; }

private:
    CommandReader reader_;
    int continues_ = 0;
};

inline ParseResult parse_line(std::string_view line, const ParseOptions& options = {}) {
    return parse_command(line, options);
}

}  // namespace ringpost::imap::test
