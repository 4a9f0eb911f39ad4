// POP3's exclusive maildrop lock (RFC 1939 8): one POP3 session per user at
// a time, process-wide, in memory (a restart ends every session anyway).
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>

namespace ringpost::server {

class MaildropLocks {
public:
    bool try_lock(const std::string& user) {
        std::lock_guard lock(mu_);
        return held_.insert(user).second;
    }
    void unlock(const std::string& user) {
        std::lock_guard lock(mu_);
        held_.erase(user);
    }

private:
    std::mutex mu_;
    std::unordered_set<std::string> held_;
};

}  // namespace ringpost::server
