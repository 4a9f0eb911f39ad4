#include "dmarc/public_suffix.hpp"

#include <libpsl.h>

#include "util/ascii.hpp"

namespace ringpost::dmarc {
namespace {

// The "*" rule alone: the last label is the suffix.
std::string last_two_labels(const std::string& d) {
    const size_t last = d.rfind('.');
    if (last == std::string::npos) return d;
    const size_t before = d.rfind('.', last - 1);
    return before == std::string::npos || last == 0 ? d : d.substr(before + 1);
}

}  // namespace

std::string normalize_domain(std::string_view domain) {
    if (domain.ends_with('.')) domain.remove_suffix(1);
    return util::ascii_lower(domain);
}

const PublicSuffixList& PublicSuffixList::system() {
    static const PublicSuffixList list = [] {
        // psl_latest: the newer of the distribution's file and the built-in list.
        if (psl_ctx_t* latest = psl_latest(nullptr)) {
            const char* dist = psl_dist_filename();
            return PublicSuffixList(latest, true,
                                    std::string(dist ? dist : "none") + " or libpsl's built-in list, the newer");
        }
        if (const psl_ctx_t* builtin = psl_builtin()) return PublicSuffixList(builtin, false, "built-in");
        return PublicSuffixList(nullptr, false, "none");
    }();
    return list;
}

std::unique_ptr<PublicSuffixList> PublicSuffixList::load_file(const std::string& path) {
    psl_ctx_t* ctx = psl_load_file(path.c_str());
    if (!ctx) return nullptr;
    return std::unique_ptr<PublicSuffixList>(new PublicSuffixList(ctx, true, path));
}

PublicSuffixList::PublicSuffixList(const psl_ctx_st* ctx, bool owned, std::string source)
    : ctx_(ctx), owned_(owned), source_(std::move(source)) {}

PublicSuffixList::~PublicSuffixList() {
    if (owned_) psl_free(const_cast<psl_ctx_t*>(ctx_));
}

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
    const std::string d = normalize_domain(domain);
    if (d.empty()) return d;
    if (!ctx_) return last_two_labels(d);
    const char* registrable = psl_registrable_domain(ctx_, d.c_str());
    return registrable ? std::string(registrable) : d;
}

bool PublicSuffixList::is_public_suffix(std::string_view domain) const {
    const std::string d = normalize_domain(domain);
    if (!ctx_) return d.find('.') == std::string::npos;
    return psl_is_public_suffix(ctx_, d.c_str()) != 0;
}

}  // namespace ringpost::dmarc
