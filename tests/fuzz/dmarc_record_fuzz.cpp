// Fuzz target: what DMARC reads from untrusted sources -- a _dmarc TXT
// record (dmarc::parse_record, any sender can publish one) and the From:
// field of a message (dmarc::author_of_message over mail's address parser).
// The raw bytes are both. Checks: a parsed record's values are within
// their ranges and only a DMARC1 record parses; p= defaulted to none only
// with a report address; an author has a lowercase domain or a problem,
// never both; an organizational domain is a suffix of its domain.
#include <string>

#include "dmarc/author.hpp"
#include "dmarc/public_suffix.hpp"
#include "dmarc/record.hpp"
#include "fuzz_input.hpp"

using namespace ringpost::dmarc;

namespace {

void check_record(std::string_view txt) {
    auto r = parse_record(txt);
    if (!r.ok()) {
        FUZZ_CHECK(!r.error().message.empty());
        return;
    }
    FUZZ_CHECK(is_dmarc_record(txt));
    const Record& rec = r.value();
    FUZZ_CHECK(rec.pct >= 0 && rec.pct <= 100);
    FUZZ_CHECK(!rec.p_defaulted || !rec.rua.empty());
    FUZZ_CHECK(rec.fo.find_first_not_of("01ds:\t ") == std::string::npos);
    for (const auto* list : {&rec.rua, &rec.ruf})
        for (const std::string& uri : *list) FUZZ_CHECK(uri.find_first_of(" \t,;") == std::string::npos);
}

void check_author(std::string_view message) {
    const Author a = author_of_message(message);
    FUZZ_CHECK(a.domain.empty() != a.problem.empty());
    for (char c : a.domain) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    if (a.evaluable()) {
        const std::string org = PublicSuffixList::system().organizational_domain(a.domain);
        FUZZ_CHECK(a.domain.ends_with(org));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_record(bytes);
    check_author(bytes);
    return 0;
}
