// Key encoding; see keys.hpp and docs/STORAGE.md.
#include "store/keys.hpp"

namespace ringpost::store::keys {

void put_be64(std::string& out, uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_be32(std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t get_be64(std::string_view in) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    return v;
}

uint32_t get_be32(std::string_view in) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
    return v;
}

std::string lower_address(std::string_view address) {
    std::string out(address);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool valid_component(std::string_view name) {
    return !name.empty() && name.find('\0') == std::string_view::npos;
}

bool valid_mailbox_name(std::string_view name) {
    if (!valid_component(name)) return false;
    if (name.front() == kHierarchyDelimiter || name.back() == kHierarchyDelimiter) return false;
    if (name.find("//") != std::string_view::npos) return false;
    return name.find_first_of("\r\n") == std::string_view::npos;
}

std::string schedule_key(int64_t next_attempt, std::string_view queue_id) {
    std::string key;
    key.reserve(8 + queue_id.size());
    put_be64(key, next_attempt < 0 ? 0 : static_cast<uint64_t>(next_attempt));
    key.append(queue_id);
    return key;
}

std::optional<ScheduleKey> parse_schedule_key(std::string_view key) {
    if (key.size() <= 8) return std::nullopt;
    return ScheduleKey{get_be64(key), std::string(key.substr(8))};
}

std::string mailbox_key(std::string_view user, std::string_view mailbox) {
    std::string key;
    key.reserve(user.size() + 1 + mailbox.size());
    key.append(user);
    key.push_back('\0');
    key.append(mailbox);
    return key;
}

std::string user_prefix(std::string_view user) {
    std::string key(user);
    key.push_back('\0');
    return key;
}

std::string orphan_subscription_prefix(std::string_view user) {
    std::string key("subscribed");
    key.push_back('\0');
    key.append(user);
    key.push_back('\0');
    return key;
}

std::string suspension_key(std::string_view target) {
    std::string k(kSuspensionPrefix);
    k.append(target);
    return k;
}

std::string event_key(uint64_t id) {
    std::string k;
    put_be64(k, id);
    return k;
}

std::string event_cursor_key(std::string_view sink) {
    std::string k(kEventCursorPrefix);
    k.append(sink);
    return k;
}

std::string orphan_subscription_key(std::string_view user, std::string_view mailbox) {
    return orphan_subscription_prefix(user).append(mailbox);
}

std::string message_prefix(std::string_view user, std::string_view mailbox) {
    std::string key = mailbox_key(user, mailbox);
    key.push_back('\0');
    return key;
}

std::string message_key(std::string_view user, std::string_view mailbox, uint32_t uid) {
    std::string key = message_prefix(user, mailbox);
    put_be32(key, uid);
    return key;
}

std::optional<MessageKey> parse_message_key(std::string_view key) {
    // Parse from the front: user and mailbox contain no NUL, and the uid is
    // exactly the last 4 bytes (which may themselves contain NULs).
    if (key.size() < 4 + 4) return std::nullopt;  // "u\0m\0" + uid at least
    std::string_view head = key.substr(0, key.size() - 4);
    size_t first = head.find('\0');
    if (first == std::string_view::npos || first == 0) return std::nullopt;
    size_t second = head.find('\0', first + 1);
    if (second != head.size() - 1 || second == first + 1) return std::nullopt;
    return MessageKey{std::string(head.substr(0, first)), std::string(head.substr(first + 1, second - first - 1)),
                      get_be32(key.substr(key.size() - 4))};
}

std::string prefix_successor(std::string_view prefix) {
    std::string out(prefix);
    while (!out.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(out.back());
        if (last != 0xff) {
            ++last;
            return out;
        }
        out.pop_back();
    }
    return out;
}

}  // namespace ringpost::store::keys
