// Queue IDs (declared in store.hpp): 44 bits of milliseconds since the epoch
// above a 20-bit sequence, printed as 16 upper-case hex digits, so IDs sort
// by time as plain strings (envelopes CF order = arrival order).
//
// One process-wide atomic holds the last ID issued; a CAS loop hands out
// max(now << 20, last + 1). Within a millisecond the sequence counts up; if
// more than 2^20 IDs are taken in one millisecond, or the clock steps back,
// the value just keeps counting past "now", which keeps IDs strictly
// increasing without ever blocking.
#include <atomic>
#include <chrono>

#include "store/store.hpp"

namespace ringpost::store {
namespace {

constexpr int kSeqBits = 20;
constexpr uint64_t kMsMask = (uint64_t{1} << 44) - 1;

std::atomic<uint64_t> g_last_id{0};

// The queue ID's 44-bit millisecond field.
uint64_t timestamp_field() {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    return static_cast<uint64_t>(ms) & kMsMask;
}

}  // namespace

std::string new_queue_id() {
    const uint64_t floor = timestamp_field() << kSeqBits;
    uint64_t last = g_last_id.load(std::memory_order_relaxed);
    uint64_t id;
    do {
        id = last + 1 > floor ? last + 1 : floor;
    } while (!g_last_id.compare_exchange_weak(last, id, std::memory_order_relaxed));

    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, id >>= 4) out[i] = kHex[id & 0xf];
    return out;
}

bool is_valid_queue_id(std::string_view id) {
    if (id.size() != 16) return false;
    for (char c : id)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
    return true;
}

}  // namespace ringpost::store
