#include "util/log.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>
#include <sys/time.h>
#include <unistd.h>

namespace ringpost::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

const char* level_name(Level l) {
    switch (l) {
        case Level::kError: return "error";
        case Level::kWarn: return "warn";
        case Level::kInfo: return "info";
        case Level::kDebug: return "debug";
    }
    return "info";
}

bool needs_quotes(std::string_view s) {
    if (s.empty()) return true;
    for (unsigned char c : s)
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
    return false;
}

void append_value(std::string& out, const Value& v) {
    if (v.is_number) {
        out += std::to_string(v.number);
        return;
    }
    if (!needs_quotes(v.text)) {
        out += v.text;
        return;
    }
    out += '"';
    for (unsigned char c : v.text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < ' ' || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
    out += '"';
}

void write_all(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(STDERR_FILENO, data.data() + off, data.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
}

// The pending lines and the writer thread. Never destroyed: it must outlive
// every thread that may still log during exit.
struct Sink {
    std::mutex mu;                 // guards pending, writing
    std::mutex write_mu;           // one writer of stderr at a time
    std::condition_variable cv;
    std::string pending;
    // Beyond this the caller writes itself: back-pressure rather than
    // unbounded memory when stderr is stuck.
    static constexpr size_t kMaxPending = 8u << 20;

    Sink() {
        std::thread([this] { run(); }).detach();
        std::atexit([] { log::flush(); });
    }

    void run() {
        std::string batch;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mu);
                cv.wait(lock, [this] { return !pending.empty(); });
                batch.swap(pending);
            }
            std::lock_guard<std::mutex> w(write_mu);
            write_all(batch);
            batch.clear();
        }
    }

    void append(const std::string& line) {
        bool wake;
        {
            std::lock_guard<std::mutex> lock(mu);
            if (pending.size() + line.size() > kMaxPending) {
                std::string batch;
                batch.swap(pending);
                batch += line;
                std::lock_guard<std::mutex> w(write_mu);
                write_all(batch);
                return;
            }
            wake = pending.empty();
            pending += line;
        }
        if (wake) cv.notify_one();
    }

    void flush() {
        std::string batch;
        {
            std::lock_guard<std::mutex> lock(mu);
            batch.swap(pending);
        }
        std::lock_guard<std::mutex> w(write_mu);
        write_all(batch);
    }
};

Sink& sink() {
    static Sink* s = new Sink();
    return *s;
}

}  // namespace

void flush() { sink().flush(); }

void set_level(Level level) { g_level.store(static_cast<int>(level)); }
Level level() { return static_cast<Level>(g_level.load()); }

bool parse_level(std::string_view text, Level& out) {
    if (text == "error") out = Level::kError;
    else if (text == "warn") out = Level::kWarn;
    else if (text == "info") out = Level::kInfo;
    else if (text == "debug") out = Level::kDebug;
    else return false;
    return true;
}

std::string format_line(Level lvl, std::string_view event, std::span<const Field> fields) {
    std::string out;
    out.reserve(160);
    timeval tv{};
    gettimeofday(&tv, nullptr);
    tm t{};
    gmtime_r(&tv.tv_sec, &t);
    char ts[40];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &t);
    out += "ts=";
    out += ts;
    char ms[8];
    snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(tv.tv_usec / 1000));
    out += ms;
    out += " level=";
    out += level_name(lvl);
    out += " event=";
    out += event;
    for (const Field& f : fields) {
        out += ' ';
        out += f.key;
        out += '=';
        append_value(out, f.value);
    }
    out += '\n';
    return out;
}

void event(Level lvl, std::string_view ev, std::span<const Field> fields) {
    if (static_cast<int>(lvl) > g_level.load(std::memory_order_relaxed)) return;
    sink().append(format_line(lvl, ev, fields));
}

}  // namespace ringpost::log
