#include "dmarc/author.hpp"

#include "dmarc/public_suffix.hpp"
#include "mail/from_fields.hpp"

namespace ringpost::dmarc {
namespace {

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// RFC 1035 sizes; letters, digits, '-' (and '_', seen in the wild) only.
std::string host_name_problem(const std::string& d) {
    if (d.empty()) return "no From domain";
    if (d.size() > 253) return "From domain too long";
    size_t label = 0;
    for (char c : d) {
        if (static_cast<unsigned char>(c) >= 0x80) return "From domain not in A-label form";
        if (c == '.') {
            if (label == 0) return "From domain has an empty label";
            label = 0;
            continue;
        }
        if (!is_ldh(c)) return "From domain is not a host name";
        if (++label > 63) return "From domain has a label over 63 octets";
    }
    return label == 0 ? "From domain has an empty label" : "";
}

}  // namespace

Author author_of_domain(std::string_view domain) {
    Author a;
    std::string d = normalize_domain(domain);
    a.problem = host_name_problem(d);
    if (a.evaluable()) a.domain = std::move(d);
    return a;
}

Author author_of_message(std::string_view message) {
    const mail::FromFields from = mail::read_from_fields(message);
    if (from.count == 0) return {{}, "no From field"};
    if (from.count > 1) return {{}, "several From fields"};
    if (from.mailboxes.empty()) return {{}, "no address in From"};
    std::string domain;
    for (const mail::Address& m : from.mailboxes) {
        const std::string d = normalize_domain(m.host);
        if (d.empty()) return {{}, "a From address without a domain"};
        if (!domain.empty() && d != domain) return {{}, "several From domains"};
        domain = d;
    }
    return author_of_domain(domain);
}

}  // namespace ringpost::dmarc
