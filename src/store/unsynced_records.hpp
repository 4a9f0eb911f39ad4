// Small records kept in memory by the server and mirrored in the default
// column family under a prefix of their own (greylisting's, the screening
// cache's): loaded once at startup, saved without ever blocking. A save
// joins the commit stage's next batch and forces no fsync of its own (a
// record lost in a crash costs one check more), so the next synced batch
// carries it to disk, as with loose events (commit_stage.hpp). Internal
// to src/store: the facades encode their values.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

// Every record under `prefix` in key order: `each(name, value)` with the
// prefix taken off the key. Blocking: startup and tests.
Result<void> load_unsynced(StoreImpl& impl, std::string_view prefix,
                           const std::function<void(std::string_view name, std::string_view value)>& each);

// Writes each (name, value) of `put` and removes the records named in
// `removed`; names holding a NUL byte are skipped. Never blocks (safe on a
// ring thread); does nothing on a read-only store or once the commit stage
// has stopped (the change is lost, as in a crash).
void save_unsynced(StoreImpl& impl, std::string_view prefix, std::vector<std::pair<std::string, std::string>> put,
                   std::vector<std::string> removed);

}  // namespace ringpost::store
