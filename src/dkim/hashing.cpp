#include "dkim/hashing.hpp"

#include <openssl/evp.h>

#include "mail/header_block.hpp"
#include "util/ascii.hpp"

namespace ringpost::dkim {

void MdCtxFree::operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }

Hasher::Hasher(HashAlg alg) : ctx_(EVP_MD_CTX_new()) {
    const EVP_MD* md = alg == HashAlg::kSha1 ? EVP_sha1() : EVP_sha256();
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), md, nullptr) == 1;
}

void Hasher::update(std::string_view data) { ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) == 1; }

Result<std::string> Hasher::finish() {
    std::string d(EVP_MAX_MD_SIZE, '\0');
    unsigned len = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), reinterpret_cast<unsigned char*>(d.data()), &len) != 1)
        return make_error("message digest failed in OpenSSL");
    d.resize(len);
    return d;
}

Result<BodyHash> body_hash(std::string_view body, Canon canon, HashAlg alg, std::optional<uint64_t> limit) {
    Hasher h(alg);
    BodyHash out;
    BodyCanonicalizer(canon).run(body, [&](std::string_view piece) {
        if (limit && out.canonical_size < *limit) h.update(piece.substr(0, *limit - out.canonical_size));
        else if (!limit) h.update(piece);
        out.canonical_size += piece.size();
    });
    auto d = h.finish();
    if (!d) return d.error();
    out.digest = std::move(d).value();
    return out;
}

std::vector<HeaderFieldRef> read_header_fields(std::string_view header_section) {
    std::vector<HeaderFieldRef> fields;
    mail::HeaderReader reader(header_section);
    mail::HeaderField f;
    while (reader.next(f)) fields.push_back({util::ascii_lower(f.name), f.raw});
    return fields;
}

void append_signed_fields(const std::vector<HeaderFieldRef>& fields, const std::vector<std::string>& names, Canon canon,
                          std::string& data, size_t skip) {
    std::vector<bool> used(fields.size(), false);
    if (skip < used.size()) used[skip] = true;
    for (const auto& name : names) {
        for (size_t i = fields.size(); i-- > 0;) {
            if (used[i] || fields[i].name != name) continue;
            used[i] = true;
            canonical_header(canon, fields[i].raw, data);
            break;
        }
    }
}

}  // namespace ringpost::dkim
