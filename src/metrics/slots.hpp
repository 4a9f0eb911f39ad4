// The storage under every counter and histogram: per-thread shards of
// 64-bit cells, summed when a scrape reads them.
//
// A metric child owns one or more slot numbers (allocated once, when it is
// resolved). Each thread that counts gets its own shard: a lazily filled
// table of chunks, indexed by slot. Only the owning thread writes its cells,
// so an increment is a relaxed load and store of a cell in memory no other
// thread writes (no lock prefix, no shared cache line); a scrape sums the
// slot's cell over all live shards plus what exited threads left behind.
// Every cell is an unsigned integer: histogram sums are kept in the
// family's observed units (microseconds, bytes), so summing never mixes
// floating-point and integer bit patterns.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ringpost::metrics {

using Slot = uint32_t;

namespace detail {

inline constexpr unsigned kChunkBits = 10;
inline constexpr size_t kChunkSlots = size_t{1} << kChunkBits;   // cells per chunk
inline constexpr size_t kMaxChunks = 256;                         // 262,144 slots in all
// Slots below kFirstSlot are never handed out for a metric: children
// resolved after the slots ran out all count into them (a histogram into
// as many as it has cells), and nothing ever reads them.
inline constexpr Slot kOverflowSlot = 0;
inline constexpr Slot kFirstSlot = 64;   // so at most 64 cells per child

using Cell = std::atomic<uint64_t>;

struct Shard {
    // Written (once per chunk, release) by the owning thread only; read
    // (acquire) by scrapes.
    std::atomic<Cell*> chunks[kMaxChunks] = {};
};

// The calling thread's shard; null until it first counts.
extern constinit thread_local Shard* t_shard;

// The slow path: registers the thread's shard and/or allocates the chunk.
Cell& cell_slow(Slot slot);

inline Cell& cell(Slot slot) {
    if (Shard* shard = t_shard) [[likely]] {
        if (Cell* chunk = shard->chunks[slot >> kChunkBits].load(std::memory_order_relaxed)) [[likely]]
            return chunk[slot & (kChunkSlots - 1)];
    }
    return cell_slow(slot);
}

// Single writer per cell: a plain read-modify-write, no atomic RMW needed.
inline void add(Slot slot, uint64_t n) {
    Cell& c = cell(slot);
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace detail

// `count` (at most kFirstSlot) consecutive fresh slots; kOverflowSlot (count
// into nothing) once the space is used up (logged once).
Slot allocate_slots(size_t count);
using detail::kFirstSlot;

// Sums slots over every shard, live and exited. Holds the shard list's lock
// while it exists: read what a scrape needs, then let it go.
class SlotReader {
public:
    SlotReader();
    ~SlotReader();
    SlotReader(const SlotReader&) = delete;
    SlotReader& operator=(const SlotReader&) = delete;
    uint64_t sum(Slot slot) const;
};

}  // namespace ringpost::metrics
