// The screening cache's records (server/screen_cache.hpp says what they
// mean) in the default column family under "screen\0" (docs/STORAGE.md):
// a client address that passed screening tests, and until when each pass
// holds. As greylisting's records (unsynced_records.hpp): loaded once at
// startup, saved without blocking and without an fsync of their own (a
// pass lost in a crash only screens the client once more).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

struct ScreenRecord {
    std::string ip;               // the client's address as text (no NUL byte)
    int64_t dnsbl_until_ms = 0;   // unix ms; the DNSBL pass holds until then (0 = none)
    int64_t pregreet_until_ms = 0;
    bool allowlisted = false;     // the DNSBL pass was an allow-listing (skips the pregreet test)

    bool operator==(const ScreenRecord&) const = default;
};

class ScreenRecords {
public:
    explicit ScreenRecords(StoreImpl& impl) : impl_(impl) {}
    ScreenRecords(const ScreenRecords&) = delete;
    ScreenRecords& operator=(const ScreenRecords&) = delete;

    // Every record, in key order. Blocking: startup and tests.
    Result<std::vector<ScreenRecord>> load();
    // Writes `put` and removes the records of the addresses in `removed`.
    // Never blocks (safe on a ring thread).
    void save(std::vector<ScreenRecord> put, std::vector<std::string> removed);

private:
    StoreImpl& impl_;
};

}  // namespace ringpost::store
