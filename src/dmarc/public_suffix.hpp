// The Public Suffix List (publicsuffix.org) through libpsl: which part of a
// domain is a public suffix ("co.uk", "com", "github.io") and so which is
// the organizational domain, the suffix plus one label (RFC 7489 3.2). DMARC
// compares organizational domains for relaxed alignment; DKIM and SPF checks
// may use it later.
//
// The list is Debian's publicsuffix package
// (/usr/share/publicsuffix/public_suffix_list.dafsa), or libpsl's built-in
// copy when that is newer or missing; without either, the "*" rule alone
// (every top-level domain is a suffix). Loaded once; immutable afterwards,
// so one instance serves every thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct psl_ctx_st;

namespace ringpost::dmarc {

class PublicSuffixList {
public:
    // The process-wide list (loaded on first use).
    static const PublicSuffixList& system();
    // A list from a file (.dat text or .dafsa); nullptr when it cannot be read.
    static std::unique_ptr<PublicSuffixList> load_file(const std::string& path);
    ~PublicSuffixList();
    PublicSuffixList(const PublicSuffixList&) = delete;
    PublicSuffixList& operator=(const PublicSuffixList&) = delete;

    // The organizational domain of `domain` (ASCII, A-labels for IDNs; case
    // and a trailing dot do not matter), lowercase: "mail.example.co.uk" ->
    // "example.co.uk". A domain that is itself a public suffix ("co.uk") has
    // no label to add: it is its own organizational domain, as OpenDMARC
    // and DMARCbis have it. "" for "".
    std::string organizational_domain(std::string_view domain) const;
    bool is_public_suffix(std::string_view domain) const;
    // For logs: where the list came from (a file, "built-in", "none").
    const std::string& source() const { return source_; }

private:
    PublicSuffixList(const psl_ctx_st* ctx, bool owned, std::string source);
    const psl_ctx_st* ctx_;
    bool owned_;
    std::string source_;
};

// Lowercase, without a trailing dot: how domains are compared here.
std::string normalize_domain(std::string_view domain);

}  // namespace ringpost::dmarc
