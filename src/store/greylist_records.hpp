// Greylisting's records (server/greylist.hpp says what they mean) in the
// default column family under "greylist\0" (docs/STORAGE.md). The server
// keeps them in memory and uses this only to load them at startup (a
// blocking scan) and to save changes -- which never blocks: a save joins
// the commit stage's next batch and needs no fsync of its own (a record
// lost in a crash only greylists a message once more), so the next synced
// batch carries it to disk, as with loose events (commit_stage.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

struct GreylistRecord {
    std::string key;         // the caller's name for it (no NUL byte)
    int64_t first_ms = 0;    // unix milliseconds of the first attempt
    int64_t last_ms = 0;     // of the last pass (or the first attempt while unconfirmed)
    uint32_t count = 0;      // passes
    bool confirmed = false;

    bool operator==(const GreylistRecord&) const = default;
};

class GreylistRecords {
public:
    explicit GreylistRecords(StoreImpl& impl) : impl_(impl) {}
    GreylistRecords(const GreylistRecords&) = delete;
    GreylistRecords& operator=(const GreylistRecords&) = delete;

    // Every record, in key order. Blocking: startup and tests.
    Result<std::vector<GreylistRecord>> load();
    // Writes `put` and removes the records named in `removed`. Never
    // blocks (safe on a ring thread); does nothing on a read-only store or
    // once the commit stage has stopped (the change is lost, as in a crash).
    void save(std::vector<GreylistRecord> put, std::vector<std::string> removed);

private:
    StoreImpl& impl_;
};

}  // namespace ringpost::store
