// Fuzz target: what a DKIM verifier reads from strangers -- a tag list
// (RFC 6376 3.2), a DKIM-Signature field (3.5) and the signature field as
// hashed with b= blanked (3.7), a key record from DNS (3.6.1) -- taken
// from the same input bytes. Checks: parsed tags are views into the input
// with valid names and no duplicates; a well-formed signature has a b=
// range inside the field whose text is b=, a valid d=, From in h=, i= in
// d=; the hashed field keeps no line end at its end; a usable key record
// has a key unless revoked, of its k= type.
#include <openssl/evp.h>

#include <string>

#include "dkim/check.hpp"
#include "dkim/key_record.hpp"
#include "dkim/signature.hpp"
#include "dkim/tag_list.hpp"
#include "fuzz_input.hpp"

using namespace ringpost::dkim;

namespace {

bool inside(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void check_tags(std::string_view text) {
    auto tags = TagList::parse(text);
    if (!tags) {
        FUZZ_CHECK(!tags.error().message.empty());
        return;
    }
    FUZZ_CHECK(!tags->tags().empty());
    for (const auto& t : tags->tags()) {
        FUZZ_CHECK(inside(t.name, text) && inside(t.value, text));
        FUZZ_CHECK(!t.name.empty() && t.name.find_first_of("=; \t\r\n") == std::string_view::npos);
        FUZZ_CHECK(tags->find(t.name) == &t.value);   // the first of its name: no duplicates
    }
}

void check_signature(std::string_view text) {
    const std::string raw = "DKIM-Signature:" + std::string(text) + "\r\n";
    Signature sig;
    const std::string error = parse_signature(raw, sig);
    if (!error.empty()) return;
    FUZZ_CHECK(sig.b_offset + sig.b_size <= raw.size());
    FUZZ_CHECK(strip_fws(std::string_view(raw).substr(sig.b_offset, sig.b_size)) == sig.b_base64);
    FUZZ_CHECK(valid_domain_name(sig.domain) && valid_domain_name(sig.selector));
    bool from = false;
    for (const auto& h : sig.headers) from = from || h == "from";
    FUZZ_CHECK(from);
    FUZZ_CHECK(sig.identity.find('@') != std::string::npos);
    if (sig.timestamp && sig.expiration) FUZZ_CHECK(*sig.expiration >= *sig.timestamp);
    for (Canon c : {Canon::kSimple, Canon::kRelaxed}) {
        sig.header_canon = c;
        const std::string hashed = canonical_signature_field(raw, sig);
        FUZZ_CHECK(hashed.size() < 2 || hashed.compare(hashed.size() - 2, 2, "\r\n") != 0);
    }
}

void check_key_record(std::string_view text) {
    auto rec = parse_key_record(text);
    if (!rec) {
        FUZZ_CHECK(!rec.error().message.empty());
        return;
    }
    if (rec->revoked) {
        FUZZ_CHECK(rec->key == nullptr);
        return;
    }
    FUZZ_CHECK(rec->key != nullptr);
    const int id = EVP_PKEY_get_base_id(rec->key.get());
    FUZZ_CHECK(id == (rec->type == KeyType::kEd25519 ? EVP_PKEY_ED25519 : EVP_PKEY_RSA));
    (void)key_mismatch(*rec, SigAlgorithm::kRsaSha256);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_tags(text);
    check_signature(text);
    check_key_record(text);
    return 0;
}
