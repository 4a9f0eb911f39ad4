// Key records already read, by their text. Reading an RSA key record costs
// more than checking a signature with it: OpenSSL 3 decodes the p= value
// (d2i_PUBKEY) through its provider decoders: 0.9 ms for an RSA-2048 key
// against 0.14 ms for the signature check itself, on the project's busy
// 2-core VM (tools/bench/inbound-checks-bench.sh shows it per message).
// Mail from one domain carries signatures with the same few keys, so the
// verifier reads each distinct record text once. The key is the whole text
// as DNS gave it: a rotated key is a new text, so the DNS TTL still decides
// which key applies; old texts leave in insertion order.
//
// Thread-safe (the verifier's CPU step runs on the blocking pool); an
// EVP_PKEY is only read once cached, which OpenSSL allows from several
// threads at once.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dkim/key_record.hpp"
#include "util/result.hpp"

namespace ringpost::dkim {

class KeyRecordCache {
public:
    // Texts longer than kMaxText are read every time, never kept (no key
    // record needs that much; it bounds what a stranger's records can take).
    static constexpr size_t kMaxText = 4096;

    explicit KeyRecordCache(size_t capacity = 256) : capacity_(capacity) {}
    KeyRecordCache(const KeyRecordCache&) = delete;
    KeyRecordCache& operator=(const KeyRecordCache&) = delete;

    // parse_key_record(text), read once per text while the text is kept.
    std::shared_ptr<const Result<KeyRecord>> get(std::string_view text);

    size_t size() const;
    uint64_t parses() const;   // records read (not found in the cache)

private:
    mutable std::mutex mutex_;
    size_t capacity_;
    std::unordered_map<std::string, std::shared_ptr<const Result<KeyRecord>>> records_;
    std::deque<std::string> order_;   // insertion order, oldest first
    uint64_t parses_ = 0;
};

}  // namespace ringpost::dkim
