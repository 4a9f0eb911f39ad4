// What signer and verifier hash alike (RFC 6376 3.7): the canonical body
// (up to l= bytes), and the signed header fields picked by h=, each name
// taking the last field of that name not yet taken (5.4.2). Pure
// computation over OpenSSL's digests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/canonical.hpp"
#include "util/result.hpp"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace ringpost::dkim {

enum class HashAlg : uint8_t { kSha256, kSha1 };

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const;
};

// An incremental hash; finish() gives the raw digest bytes.
class Hasher {
public:
    explicit Hasher(HashAlg alg);
    void update(std::string_view data);
    Result<std::string> finish();

private:
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx_;
    bool ok_ = false;
};

struct BodyHash {
    std::string digest;          // raw bytes
    uint64_t canonical_size = 0;   // bytes of the whole canonical body (not only the hashed ones)
};

// The hash of the canonical body, of its first `limit` bytes when there is a
// limit (l=).
Result<BodyHash> body_hash(std::string_view body, Canon canon, HashAlg alg, std::optional<uint64_t> limit = {});

// One header field of the message.
struct HeaderFieldRef {
    std::string name;       // lower-case
    std::string_view raw;   // as in the message, line end included
};

std::vector<HeaderFieldRef> read_header_fields(std::string_view header_section);

// Appends the canonical form of the fields that `names` (lower-case, in h=
// order) select, RFC 6376 5.4.2: each name takes the last field of that
// name not taken yet, from the bottom up; a name with none left (an
// over-signed or absent field) adds nothing. The field at index `skip` (the
// DKIM-Signature being verified, which did not exist when it was signed)
// is never taken.
void append_signed_fields(const std::vector<HeaderFieldRef>& fields, const std::vector<std::string>& names, Canon canon,
                          std::string& data, size_t skip = SIZE_MAX);

}  // namespace ringpost::dkim
