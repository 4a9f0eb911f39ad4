// Helpers for the DSN tests: a ready-made envelope and input, the line
// rules every notification must follow, and a bridge to dsn_check.py, which
// parses a notification with Python's email package (an independent MIME
// parser) and reports what it found as key=value lines.
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/dsn.hpp"

namespace ringpost::delivery::test {

inline constexpr int64_t kReceived = 1795514400;   // Tue, 24 Nov 2026 10:00:00 +0000
inline constexpr int64_t kNow = kReceived + 3 * 3600;

inline bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

inline const std::string kOriginal =
    "Received: from client.example.org ([192.0.2.7])\r\n"
    "\tby mx.example.test (ringpost) with ESMTP id 0193A4F2C1D00001\r\n"
    "\tfor <bob@example.org>; Tue, 24 Nov 2026 10:00:00 +0000\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.org>\r\n"
    "Subject: Quarterly numbers\r\n"
    "Message-ID: <abc@example.org>\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "the numbers are attached.\r\n";

inline mail::Envelope make_envelope() {
    mail::Envelope e;
    e.queue_id = "0193A4F2C1D00001";
    e.sender = "alice@example.org";
    e.helo = "client.example.org";
    e.client_ip = "192.0.2.7";
    e.protocol = "ESMTP";
    e.received_at = kReceived;
    mail::Recipient r;
    r.address = "bob@example.org";
    e.recipients.push_back(r);
    return e;
}

inline DsnRecipient failed_bob() {
    DsnRecipient r;
    r.address = "bob@example.org";
    r.action = DsnAction::kFailed;
    r.status = "5.1.1";
    r.remote_reply = "550 5.1.1 <bob@example.org>: user unknown";
    r.remote_mta = "mx.example.org";
    r.last_attempt = kNow;
    return r;
}

inline DsnInput make_input(std::vector<DsnRecipient> recipients) {
    DsnInput in;
    in.reporting_mta = "mx.example.test";
    in.envelope = make_envelope();
    in.recipients = std::move(recipients);
    in.original = kOriginal;
    in.now = kNow;
    return in;
}

// Every line ends with CRLF (no bare CR or LF anywhere) and has at most 998
// bytes before it (RFC 5322 2.1.1). Returns "" or what is wrong.
inline std::string line_rule_violation(std::string_view msg) {
    if (msg.size() < 2 || msg.substr(msg.size() - 2) != "\r\n") return "does not end with CRLF";
    size_t start = 0;
    for (size_t i = 0; i < msg.size(); ++i) {
        if (msg[i] == '\r') {
            if (i + 1 >= msg.size() || msg[i + 1] != '\n') return "bare CR at byte " + std::to_string(i);
            if (i - start > 998) return "line of " + std::to_string(i - start) + " bytes at byte " + std::to_string(start);
            start = i + 2;
            ++i;
        } else if (msg[i] == '\n') {
            return "bare LF at byte " + std::to_string(i);
        }
    }
    return {};
}

// The parse of dsn_check.py: key -> values in order (headers may repeat).
class Parsed {
public:
    explicit Parsed(std::multimap<std::string, std::string> fields) : fields_(std::move(fields)) {}
    // The only value of `key`; "<missing>" or "<N values>" otherwise, so a
    // failed expectation shows what happened.
    std::string operator[](const std::string& key) const {
        const auto n = fields_.count(key);
        if (n == 0) return "<missing>";
        if (n > 1) return "<" + std::to_string(n) + " values>";
        return fields_.find(key)->second;
    }
    bool has(const std::string& key) const { return fields_.count(key) > 0; }
    std::vector<std::string> all(const std::string& key) const {
        std::vector<std::string> v;
        auto [b, e] = fields_.equal_range(key);
        for (auto it = b; it != e; ++it) v.push_back(it->second);
        return v;
    }

private:
    std::multimap<std::string, std::string> fields_;
};

inline std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char c = s[++i];
            out.push_back(c == 'n' ? '\n' : c == 'r' ? '\r' : c);
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// The interpreter and script come from the meson test() environment; when
// the binary is run by hand from the build root, the source path of this
// file finds the script.
inline std::string checker_script() {
    if (const char* s = getenv("RINGPOST_DSN_CHECK")) return s;
    return (std::filesystem::path(__FILE__).parent_path() / "dsn_check.py").string();
}

inline std::string python() {
    const char* p = getenv("RINGPOST_PYTHON");
    return p ? p : "python3";
}

// Writes the notifications to temporary files, runs dsn_check.py once on all
// of them and returns its findings in the same order; throws if Python fails
// (a parse error is a test failure).
inline std::vector<Parsed> parse_with_python(const std::vector<std::string>& dsns) {
    std::vector<std::string> paths;
    std::string cmd = "'" + python() + "' '" + checker_script() + "'";
    for (const auto& dsn : dsns) {
        std::string path = (std::filesystem::temp_directory_path() / "ringpost-dsn-XXXXXX").string();
        const int fd = mkstemp(path.data());
        if (fd < 0) throw std::runtime_error("mkstemp failed");
        close(fd);
        std::ofstream(path, std::ios::binary) << dsn;
        cmd += " '" + path + "'";
        paths.push_back(path);
    }
    cmd += " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) throw std::runtime_error("popen failed");
    std::string output;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
    const int status = pclose(pipe);
    for (const auto& path : paths) std::filesystem::remove(path);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("dsn_check.py failed: " + cmd + "\n" + output);
    }
    std::vector<std::multimap<std::string, std::string>> fields;
    size_t start = 0;
    while (start < output.size()) {
        size_t end = output.find('\n', start);
        if (end == std::string::npos) end = output.size();
        const std::string_view line(output.data() + start, end - start);
        start = end + 1;
        if (line.rfind("@@ ", 0) == 0) {
            fields.emplace_back();
            continue;
        }
        const size_t eq = line.find('=');
        if (eq == std::string_view::npos || fields.empty()) continue;
        fields.back().emplace(std::string(line.substr(0, eq)), unescape(line.substr(eq + 1)));
    }
    if (fields.size() != dsns.size()) throw std::runtime_error("dsn_check.py: unexpected output\n" + output);
    std::vector<Parsed> parsed;
    for (auto& f : fields) parsed.emplace_back(std::move(f));
    return parsed;
}

}  // namespace ringpost::delivery::test
