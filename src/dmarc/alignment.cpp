#include "dmarc/alignment.hpp"

namespace ringpost::dmarc {

bool aligned(std::string_view from_domain, std::string_view identifier, Alignment mode,
             const PublicSuffixList& psl) {
    const std::string from = normalize_domain(from_domain);
    const std::string id = normalize_domain(identifier);
    if (from.empty() || id.empty()) return false;
    if (from == id) return true;
    return mode == Alignment::kRelaxed && psl.organizational_domain(from) == psl.organizational_domain(id);
}

}  // namespace ringpost::dmarc
