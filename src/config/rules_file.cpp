// Reading rules files (see rules_file.hpp).
#include "config/rules_file.hpp"

#include <cstdint>
#include <filesystem>

namespace ringpost::config {
namespace {

// Far beyond any real rules file.
constexpr std::uintmax_t kMaxRulesFileSize = 1 << 20;

}  // namespace

std::string read_rules_file(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!ec && std::filesystem::exists(status)) {
        if (!std::filesystem::is_regular_file(status)) throw ConfigError(path + ": not a regular file");
        if (std::filesystem::file_size(path, ec) > kMaxRulesFileSize)
            throw ConfigError(path + ": larger than " + std::to_string(kMaxRulesFileSize) + " bytes");
    }
    return read_text_file(path);
}

void for_each_rule(std::string_view text, const std::string& name,
                   const std::function<void(const Reader&, const toml::table&, const std::string& key)>& read) {
    const toml::table root = parse_toml(text, name);
    const Reader r(name);
    for (auto&& [k, v] : root) {
        if (k.str() != "rule") r.unknown("", k.str(), {"rule"});
    }
    const toml::node* rules = root.get("rule");
    if (!rules) return;
    const toml::array* list = rules->as_array();
    if (!list) r.fail("rule", "expected [[rule]] tables");
    for (size_t i = 0; i < list->size(); ++i) {
        const std::string key = "rule[" + std::to_string(i + 1) + "]";
        read(r, r.table(*list->get(i), key), key);
    }
}

bool read_pattern_field(const Reader& r, const std::string& field, const toml::node& v, const std::string& field_key,
                        delivery::ReplyPatternSpec& spec) {
    if (field == "code") {
        spec.code = static_cast<uint16_t>(r.integer(v, field_key, 400, 599));
    } else if (field == "enhanced") {
        spec.enhanced = r.string(v, field_key);
    } else if (field == "text") {
        spec.text = r.string(v, field_key);
    } else if (field == "example") {
        spec.example = r.string(v, field_key);
    } else {
        return false;
    }
    return true;
}

}  // namespace ringpost::config
