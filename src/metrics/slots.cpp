// Per-thread shards (slots.hpp): registration, chunk allocation, the fold
// of an exiting thread's counts, and the sums a scrape reads.
#include "metrics/slots.hpp"

#include <memory>
#include <mutex>
#include <vector>

#include "util/log.hpp"

namespace ringpost::metrics {
namespace detail {

constinit thread_local Shard* t_shard = nullptr;

namespace {

// Every live shard, the counts of threads that have exited, and the next
// free slot. Never destroyed: threads may count (and exit) during static
// destruction.
struct Shards {
    std::mutex mu;
    std::vector<Shard*> live;
    std::vector<uint64_t> retired;   // by slot
    Slot next_slot = kFirstSlot;
    bool exhausted_logged = false;
};

Shards& shards() {
    static Shards* s = new Shards;
    return *s;
}

// Owned by the thread (thread_local): on thread exit its counts move into
// `retired` and the shard is freed.
struct ShardOwner {
    Shard* shard = nullptr;
    ~ShardOwner() {
        if (!shard) return;
        Shards& s = shards();
        {
            std::lock_guard lock(s.mu);
            for (size_t c = 0; c < kMaxChunks; ++c) {
                Cell* chunk = shard->chunks[c].load(std::memory_order_relaxed);
                if (!chunk) continue;
                const size_t base = c * kChunkSlots;
                if (s.retired.size() < base + kChunkSlots) s.retired.resize(base + kChunkSlots, 0);
                for (size_t i = 0; i < kChunkSlots; ++i) s.retired[base + i] += chunk[i].load(std::memory_order_relaxed);
            }
            std::erase(s.live, shard);
        }
        for (auto& chunk : shard->chunks) delete[] chunk.load(std::memory_order_relaxed);
        delete shard;
        t_shard = nullptr;
    }
};
thread_local ShardOwner t_owner;

}  // namespace

Cell& cell_slow(Slot slot) {
    if (!t_shard) {
        auto shard = std::make_unique<Shard>();
        Shards& s = shards();
        std::lock_guard lock(s.mu);
        s.live.push_back(shard.get());
        t_owner.shard = shard.get();
        t_shard = shard.release();
    }
    std::atomic<Cell*>& chunk = t_shard->chunks[slot >> kChunkBits];
    Cell* cells = chunk.load(std::memory_order_relaxed);
    if (!cells) {
        cells = new Cell[kChunkSlots];
        for (size_t i = 0; i < kChunkSlots; ++i) cells[i].store(0, std::memory_order_relaxed);
        chunk.store(cells, std::memory_order_release);   // scrapes see zeroed cells
    }
    return cells[slot & (kChunkSlots - 1)];
}

}  // namespace detail

using namespace detail;

Slot allocate_slots(size_t count) {
    Shards& s = shards();
    std::lock_guard lock(s.mu);
    if (s.next_slot + count > kMaxChunks * kChunkSlots) {
        if (!s.exhausted_logged)
            log::error("metrics_slots_exhausted", {{"slots", static_cast<uint64_t>(kMaxChunks * kChunkSlots)}});
        s.exhausted_logged = true;
        return kOverflowSlot;
    }
    const Slot first = s.next_slot;
    s.next_slot += static_cast<Slot>(count);
    return first;
}

SlotReader::SlotReader() { shards().mu.lock(); }
SlotReader::~SlotReader() { shards().mu.unlock(); }

uint64_t SlotReader::sum(Slot slot) const {
    const Shards& s = shards();
    uint64_t total = slot < s.retired.size() ? s.retired[slot] : 0;
    for (const Shard* shard : s.live)
        if (const Cell* chunk = shard->chunks[slot >> kChunkBits].load(std::memory_order_acquire))
            total += chunk[slot & (kChunkSlots - 1)].load(std::memory_order_relaxed);
    return total;
}

}  // namespace ringpost::metrics
