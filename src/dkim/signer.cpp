#include "dkim/signer.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>

#include "dkim/hashing.hpp"
#include "dkim/key.hpp"
#include "mail/header_block.hpp"
#include "util/base64.hpp"

namespace ringpost::dkim {
namespace {

using Fields = std::vector<HeaderFieldRef>;

size_t count(const Fields& fields, std::string_view name) {
    size_t n = 0;
    for (const auto& f : fields) n += f.name == name;
    return n;
}

// The h= list: every occurrence of each signed name, and the oversigned
// ones once more (RFC 6376 5.4.2: an h= name without a field left to take
// stands for "no such field").
std::vector<std::string> signed_names(const Fields& fields, const SignatureSpec& spec) {
    std::vector<std::string> names;
    auto add = [&](const std::string& name, size_t times) {
        for (const auto& n : names)
            if (n == name) return;   // a name listed twice in the config counts once
        names.insert(names.end(), times, name);
    };
    for (const auto& name : spec.headers) {
        bool over = false;
        for (const auto& o : spec.oversign) over = over || o == name;
        const size_t n = count(fields, name);
        if (n > 0 || over) add(name, n + (over ? 1 : 0));
    }
    for (const auto& name : spec.oversign) add(name, count(fields, name) + 1);
    return names;
}

// "a:b:c" folded after a colon before a line would pass ~76 columns.
void append_folded_list(const std::vector<std::string>& names, size_t column, std::string& out) {
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += ':';
            ++column;
            if (column + names[i].size() > 76) {
                out += "\r\n\t";
                column = 8;
            }
        }
        out += names[i];
        column += names[i].size();
    }
}

// The b= value in lines of at most 72 characters after the tab.
void append_folded_base64(std::string_view b64, std::string& out) {
    for (size_t pos = 0; pos < b64.size(); pos += 72) {
        if (pos > 0) out += "\r\n\t";
        out.append(b64.substr(pos, 72));
    }
}

std::string canon_name(Canon c) { return c == Canon::kRelaxed ? "relaxed" : "simple"; }

// The field without its b= value: what the signature covers (5.4), and,
// with the value appended, what goes into the message.
std::string unsigned_field(const SignatureSpec& spec, const std::vector<std::string>& names, std::string_view bh,
                           int64_t now) {
    std::string f = "DKIM-Signature: v=1; a=";
    f.append(algorithm_name(spec.key->algorithm()));
    f += "; c=" + canon_name(spec.header_canon) + "/" + canon_name(spec.body_canon) + ";\r\n\td=" + spec.domain +
         "; s=" + spec.selector + "; t=" + std::to_string(now);
    if (spec.expire_after > 0) f += "; x=" + std::to_string(now + spec.expire_after);
    f += ";\r\n\th=";
    append_folded_list(names, 10, f);
    f += ";\r\n\tbh=";
    f.append(bh);
    f += ";\r\n\tb=";
    return f;
}

Result<std::string> sign_digest(const SigningKey& key, const std::string& digest) {
    std::string sig(static_cast<size_t>(EVP_PKEY_get_size(key.pkey())), '\0');
    size_t len = sig.size();
    auto* out = reinterpret_cast<unsigned char*>(sig.data());
    bool ok = false;
    if (key.algorithm() == Algorithm::kEd25519Sha256) {
        // RFC 8463 3: PureEdDSA over the SHA-256 hash of the signed data.
        std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
        const auto* d = reinterpret_cast<const unsigned char*>(digest.data());
        ok = ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.pkey()) == 1 &&
             EVP_DigestSign(ctx.get(), out, &len, d, digest.size()) == 1;
    } else {
        // RSASSA-PKCS1-v1_5 with SHA-256 over the same hash.
        PkeyCtx ctx(EVP_PKEY_CTX_new(key.pkey(), nullptr));
        ok = ctx && EVP_PKEY_sign_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
             EVP_PKEY_sign(ctx.get(), out, &len, reinterpret_cast<const unsigned char*>(digest.data()),
                           digest.size()) == 1;
    }
    if (!ok) {
        ERR_clear_error();
        return make_error("DKIM signing failed in OpenSSL");
    }
    sig.resize(len);
    std::string b64;
    base64::encode(sig, b64);
    return b64;
}

Result<std::string> body_hash_base64(std::string_view body, Canon canon) {
    auto h = body_hash(body, canon, HashAlg::kSha256);
    if (!h) return h.error();
    std::string b64;
    base64::encode(h->digest, b64);
    return b64;
}

}  // namespace

const std::vector<std::string>& default_signed_headers() {
    static const std::vector<std::string> names = {
        "from", "reply-to", "subject", "date", "to", "cc", "message-id", "in-reply-to", "references",
        "mime-version", "content-type", "content-transfer-encoding", "content-disposition", "content-language",
        "resent-date", "resent-from", "resent-to", "resent-cc", "resent-message-id",
        "list-id", "list-help", "list-unsubscribe", "list-unsubscribe-post", "list-subscribe", "list-post",
        "list-owner", "list-archive", "feedback-id", "sender"};
    return names;
}

const std::vector<std::string>& default_oversigned_headers() {
    static const std::vector<std::string> names = {"from"};
    return names;
}

Result<std::string> sign(std::string_view message, std::span<const SignatureSpec> specs, int64_t now) {
    const size_t header_size = mail::header_section_size(message);
    const Fields fields = read_header_fields(message.substr(0, header_size));
    if (count(fields, "from") == 0) return make_error("the message has no From field to sign (RFC 6376 5.4)");
    const std::string_view body = message.substr(header_size);
    std::string hashes[2];   // body hash per canonicalization, computed once
    std::string out;
    for (const auto& spec : specs) {
        if (spec.key == nullptr) return make_error("DKIM signature for " + spec.domain + " has no key");
        std::string& bh = hashes[spec.body_canon == Canon::kRelaxed ? 1 : 0];
        if (bh.empty()) {
            auto h = body_hash_base64(body, spec.body_canon);
            if (!h) return h.error();
            bh = std::move(h).value();
        }
        const std::vector<std::string> names = signed_names(fields, spec);
        std::string field = unsigned_field(spec, names, bh, now);
        std::string data;
        append_signed_fields(fields, names, spec.header_canon, data);
        // The signature field itself, b= empty and without its final CRLF.
        canonical_header(spec.header_canon, field, data);
        data.resize(data.size() - 2);
        Hasher h(HashAlg::kSha256);
        h.update(data);
        auto digest = h.finish();
        if (!digest) return digest.error();
        auto b = sign_digest(*spec.key, *digest);
        if (!b) return b.error();
        append_folded_base64(*b, field);
        out += field;
        out += "\r\n";
    }
    return out;
}

}  // namespace ringpost::dkim
