// Pieces shared by the plain session (session.cpp) and the TLS session
// (session_tls.cpp): retry bound, PIPELINING detection, failure counting.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "load/awaiters.hpp"
#include "load/session_state.hpp"
#include "load/stats.hpp"

namespace ringpost::load::detail {

// A session that cannot complete a handshake this many times in a row (with
// back-off from 50 ms to 1 s between attempts, about 6 s in all) gives up.
constexpr unsigned kMaxConnectFailures = 10;

// Does an EHLO reply list the PIPELINING extension (a whole keyword on a line)?
inline bool offers_pipelining(std::string_view reply) {
    size_t pos = 0;
    while (pos < reply.size()) {
        size_t eol = reply.find('\n', pos);
        if (eol == std::string_view::npos) eol = reply.size();
        std::string_view line = reply.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() >= 4) {
            std::string_view kw = line.substr(4);
            kw = kw.substr(0, kw.find(' '));
            static constexpr std::string_view kWant = "PIPELINING";
            if (kw.size() == kWant.size() &&
                std::equal(kw.begin(), kw.end(), kWant.begin(), [](char a, char b) { return (a & ~0x20) == b; }))
                return true;
        }
        pos = eol + 1;
    }
    return false;
}

// Counts a failed step: an unexpected reply code, or an error result.
inline void note_failure(Stats& st, const SessionState& s, bool stopping, int result) {
    if (result > 0) {
        st.note(Failure::reply_code);
        ++st.by_code[static_cast<size_t>(result) < st.by_code.size() ? static_cast<size_t>(result) : 0];
    } else if (result == kClosed) {
        st.note(Failure::closed);
    } else if (result == kMalformed) {
        st.note(Failure::malformed);
    } else if (result == -ECANCELED && s.timed_out) {
        st.note(Failure::timeout);
    } else if (result == -ECANCELED && stopping) {
        st.note(Failure::aborted);
    } else {
        st.note(Failure::io_error);
    }
}

inline void close_fd(SessionState& s) {
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
}

}  // namespace ringpost::load::detail
