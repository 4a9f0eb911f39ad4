// The openspf.org RFC 7208 test suite (rfc7208_cases.txt, transcribed from
// pyspf's rfc7208-tests.yml): each test is check_host() for its MAIL FROM
// (postmaster@HELO when empty) against its scenario's zone, expecting one
// of its results and, when given, its explanation.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fake_zone.hpp"
#include "spf/check_host.hpp"

namespace ringpost::spf::test {
namespace {

using dns::test::FakeZone;
using dns::test::run_now;

struct SuiteCase {
    std::string id;
    std::string spec;
    std::string host;
    std::string helo;
    std::string mailfrom;
    std::vector<std::string> results;
    std::string explanation;
    size_t scenario = 0;
};

struct ZoneLine {
    std::string name;
    std::string type;
    std::string value;
};

struct Suite {
    std::vector<std::vector<ZoneLine>> scenarios;
    std::vector<SuiteCase> cases;
};

// \xNN, \0, \r as the file writes bytes that are not printable.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 >= s.size()) {
            out += s[i];
        } else if (s[i + 1] == 'x' && i + 3 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16));
            i += 3;
        } else {
            out += s[i + 1] == '0' ? '\0' : s[i + 1] == 'r' ? '\r' : s[i + 1];
            ++i;
        }
    }
    return out;
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
    std::vector<std::string> out;
    size_t from = 0;
    for (size_t at; (at = s.find(sep, from)) != std::string::npos; from = at + sep.size()) out.push_back(s.substr(from, at - from));
    out.push_back(s.substr(from));
    return out;
}

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(' ');
    const size_t b = s.find_last_not_of(' ');
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

void read_zone_line(const std::string& line, Suite& suite) {
    // "zone NAME TYPE VALUE...": the value is the rest of the line.
    const size_t name_end = line.find(' ', 5);
    const size_t type_end = line.find(' ', name_end + 1);
    ZoneLine z;
    z.name = unescape(line.substr(5, name_end - 5));
    z.type = line.substr(name_end + 1, type_end == std::string::npos ? std::string::npos : type_end - name_end - 1);
    if (type_end != std::string::npos) z.value = unescape(line.substr(type_end + 1));
    suite.scenarios.back().push_back(std::move(z));
}

void read_test_line(const std::string& line, Suite& suite) {
    auto fields = split(line.substr(5) + " ", " | ");   // the last field may be empty
    if (fields.size() != 7) throw std::runtime_error("bad test line: " + line);
    SuiteCase c{trim(fields[0]), trim(fields[1]), trim(fields[2]), trim(fields[3]), trim(fields[4]),
                split(trim(fields[5]), ","), trim(fields[6]), suite.scenarios.size() - 1};
    suite.cases.push_back(std::move(c));
}

const Suite& suite() {
    static const Suite loaded = [] {
        Suite s;
        std::ifstream in(RINGPOST_SPF_CASES);
        if (!in) throw std::runtime_error("cannot read " RINGPOST_SPF_CASES);
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with("scenario ")) s.scenarios.emplace_back();
            if (line.starts_with("zone ")) read_zone_line(line, s);
            if (line.starts_with("test ")) read_test_line(line, s);
        }
        return s;
    }();
    return loaded;
}

// The suite drivers' rules: type SPF serves as TXT where a name has no
// TXT records (and no "TXT NONE"); TIMEOUT makes missing types time out.
void load_zone(const std::vector<ZoneLine>& lines, FakeZone& zone) {
    auto has_txt = [&](const std::string& name) {
        return std::any_of(lines.begin(), lines.end(), [&](const ZoneLine& z) { return z.name == name && z.type == "TXT"; });
    };
    for (const ZoneLine& z : lines) {
        zone.add_name(z.name);
        if (z.type == "TIMEOUT") zone.add_timeout(z.name);
        if (z.type == "A") zone.add(z.name, {dns::kTypeA, z.value});
        if (z.type == "AAAA") zone.add(z.name, {dns::kTypeAaaa, z.value});
        if (z.type == "PTR") zone.add(z.name, {dns::kTypePtr, z.value});
        if (z.type == "TXT" && z.value != "NONE") zone.add(z.name, {dns::kTypeTxt, z.value});
        if (z.type == "SPF" && !has_txt(z.name)) zone.add(z.name, {dns::kTypeTxt, z.value});
        if (z.type == "MX") {
            const size_t space = z.value.find(' ');
            zone.add(z.name, {dns::kTypeMx, z.value.substr(space + 1), static_cast<uint16_t>(std::stoi(z.value))});
        }
    }
}

bool iequal(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

class Rfc7208Suite : public ::testing::TestWithParam<size_t> {};

TEST_P(Rfc7208Suite, Case) {
    const SuiteCase& c = suite().cases[GetParam()];
    SCOPED_TRACE(c.id + " (RFC 7208 " + c.spec + ")");
    FakeZone zone;
    load_zone(suite().scenarios[c.scenario], zone);
    Options options;
    options.receiver = "mx.receiver.example";
    Verdict v = run_now(check_mail_from(zone, Request{c.host, c.mailfrom, c.helo}, options));
    const std::string got(result_name(v.result));
    EXPECT_NE(std::find(c.results.begin(), c.results.end(), got), c.results.end())
        << "got " << got << " (" << v.problem << ")";
    if (c.explanation == "DEFAULT") {
        EXPECT_EQ(v.explanation, "");
    } else if (!c.explanation.empty()) {
        // Case-insensitive: the suite spells the %{ir} nibbles of v-macro-ip6
        // in upper case, RFC 7208 7.4 (and we) in lower case.
        EXPECT_TRUE(iequal(v.explanation, c.explanation)) << v.explanation;
    }
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
    std::string name = suite().cases[info.param].id;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

INSTANTIATE_TEST_SUITE_P(Openspf, Rfc7208Suite, ::testing::Range<size_t>(0, suite().cases.size()), case_name);

TEST(Rfc7208SuiteFile, HasEveryCase) {
    // 198 tests in 16 scenarios: a transcription that lost some would pass otherwise.
    EXPECT_EQ(suite().cases.size(), 198u);
    EXPECT_EQ(suite().scenarios.size(), 16u);
}

}  // namespace
}  // namespace ringpost::spf::test
