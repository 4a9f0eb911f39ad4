// The [milters.NAME] tables (keys_milter.hpp): where each milter listens,
// its timeouts, what a failure of it means, and which mail it sees.
#include "config/keys_milter.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include "config/key_kinds.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

constexpr uint32_t kMaxTimeoutMs = 3600 * 1000;

const std::vector<std::string_view> kMilterKeys = {"address", "connect_timeout", "command_timeout", "total_timeout",
                                                   "on_failure", "apply_to"};
const std::vector<std::string_view> kFailureActions = {"accept", "tempfail", "reject"};
const std::vector<std::string_view> kMailKinds = {"smtp", "submission", "http"};

// "unix:/path", or an IP literal and a port ("[::1]:11332" brackets an
// IPv6 one), optionally after Postfix's "inet:". The milter library reads
// it again when the server starts; this check makes a typo a config error.
bool valid_address(std::string_view a) {
    if (a.starts_with("unix:")) return a.size() > 5 && a.size() - 5 < sizeof(sockaddr_un{}.sun_path);
    if (a.starts_with("inet:")) a.remove_prefix(5);
    const size_t colon = a.rfind(':');
    if (colon == std::string_view::npos || colon + 1 >= a.size() || a.size() - colon > 6) return false;
    const std::string_view port = a.substr(colon + 1);
    if (port.find_first_not_of("0123456789") != std::string_view::npos || std::stoul(std::string(port)) - 1 > 65534)
        return false;
    std::string host(a.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

void read_field(const Reader& r, MilterConfig& m, const std::string& field, const toml::node& v, const std::string& at,
                const std::string& key) {
    if (field == "address") {
        m.address = r.string(v, at);
        if (!valid_address(m.address))
            r.fail(at, "expected \"IP:PORT\" or \"unix:/path\", got " + quote(m.address));
    } else if (field == "connect_timeout") {
        m.connect_timeout_ms = r.milliseconds(v, at, kMaxTimeoutMs);
    } else if (field == "command_timeout") {
        m.command_timeout_ms = r.milliseconds(v, at, kMaxTimeoutMs);
    } else if (field == "total_timeout") {
        m.total_timeout_ms = r.milliseconds(v, at, kMaxTimeoutMs);
    } else if (field == "on_failure") {
        m.on_failure = r.one_of(v, at, kFailureActions);
    } else if (field == "apply_to") {
        m.apply_to = r.strings(v, at);
        for (size_t i = 0; i < m.apply_to.size(); ++i)
            if (std::find(kMailKinds.begin(), kMailKinds.end(), m.apply_to[i]) == kMailKinds.end())
                r.fail(at + "[" + std::to_string(i) + "]", "expected \"smtp\", \"submission\" or \"http\", got " +
                                                               quote(m.apply_to[i]));
    } else {
        r.unknown(key + ".", field, kMilterKeys);
    }
}

MilterConfig read_milter(const Reader& r, const std::string& name, const toml::node& node, const std::string& key) {
    MilterConfig m;
    m.name = name;
    for (auto&& [k, v] : r.table(node, key)) {
        const std::string field(k.str());
        read_field(r, m, field, v, key + "." + field, key);
    }
    if (m.address.empty()) r.fail(key, "expected address = \"IP:PORT\" or \"unix:/path\": where the milter listens");
    if (m.connect_timeout_ms == 0 || m.command_timeout_ms == 0 || m.total_timeout_ms == 0)
        r.fail(key, "timeouts must be above 0");
    return m;
}

std::string write_milter(const MilterConfig& m) {
    return "{ address = " + toml_string(m.address) + ", connect_timeout = " + toml_delay(m.connect_timeout_ms) +
           ", command_timeout = " + toml_delay(m.command_timeout_ms) + ", total_timeout = " +
           toml_delay(m.total_timeout_ms) + ", on_failure = " + toml_string(m.on_failure) +
           ", apply_to = " + toml_strings(m.apply_to) + " }";
}

}  // namespace

void add_milter_keys(std::vector<Key>& t) {
    t.push_back(named_tables("milters",
                             "NAME = { address = \"127.0.0.1:11332\", on_failure = \"tempfail\", ... }: content "
                             "filters (milter protocol), run in the order of their names",
                             RP_FIELD(milters), read_milter, write_milter));
}

}  // namespace ringpost::config
