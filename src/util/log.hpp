// One line per event, logfmt (key=value, values quoted when needed), to
// stderr: "ts=2026-11-24T10:00:00.123Z level=info event=accepted qid=... size=4096".
// Thread-safe and non-blocking for the caller: a line is formatted locally
// and appended to a shared buffer under a short lock; a writer thread does
// the write(2) calls, so ring threads and the commit thread never wait on
// the log's file or pipe. flush() (also run at exit) writes what is pending.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace ringpost::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level& out);

// A value for a field: strings, integers.
struct Value {
    Value(std::string_view s) : text(s) {}
    Value(const std::string& s) : text(s) {}
    Value(const char* s) : text(s) {}
    Value(int64_t n) : number(n), is_number(true) {}
    Value(int n) : number(n), is_number(true) {}
    Value(unsigned n) : number(n), is_number(true) {}
    Value(long unsigned n) : number(static_cast<int64_t>(n)), is_number(true) {}
    Value(long long unsigned n) : number(static_cast<int64_t>(n)), is_number(true) {}
    std::string_view text;
    int64_t number = 0;
    bool is_number = false;
};

struct Field {
    std::string_view key;
    Value value;
};

// Format one line (without writing); exposed for tests.
std::string format_line(Level level, std::string_view event, std::span<const Field> fields);
inline std::string format_line(Level level, std::string_view event, std::initializer_list<Field> fields) {
    return format_line(level, event, std::span<const Field>(fields.begin(), fields.size()));
}

// The span form: for a line whose fields are chosen at run time.
void event(Level level, std::string_view event, std::span<const Field> fields);
inline void event(Level level, std::string_view event, std::initializer_list<Field> fields = {}) {
    ringpost::log::event(level, event, std::span<const Field>(fields.begin(), fields.size()));
}

// Write everything logged so far before returning.
void flush();

inline void info(std::string_view e, std::initializer_list<Field> f = {}) { event(Level::kInfo, e, f); }
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) { event(Level::kWarn, e, f); }
inline void error(std::string_view e, std::initializer_list<Field> f = {}) { event(Level::kError, e, f); }
inline void debug(std::string_view e, std::initializer_list<Field> f = {}) { event(Level::kDebug, e, f); }

}  // namespace ringpost::log
