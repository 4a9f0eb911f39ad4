// JSON output helpers of the admin commands; see json_output.hpp.
#include "admin/json_output.hpp"

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "util/base64.hpp"
#include "util/utf8.hpp"

namespace ringpost::admin::detail {
namespace {

bool valid_utf8(std::string_view s) {
    uint32_t cp = 0;
    for (size_t i = 0; i < s.size();)
        if (!utf8::next_code_point(s, i, cp)) return false;
    return true;
}

}  // namespace

Json time_or_null(int64_t unix_seconds) { return unix_seconds == 0 ? Json() : Json(iso_time(unix_seconds)); }

Json text_or_null(std::string_view s) { return s.empty() ? Json() : Json(std::string(s)); }

void add_message(Json& doc, std::string_view bytes) {
    if (valid_utf8(bytes)) {
        doc["message"] = std::string(bytes);
        return;
    }
    std::string encoded;
    base64::encode(bytes, encoded);
    doc["message_base64"] = std::move(encoded);
}

void write_json(std::string& out, const Json& doc) {
    out += doc.dump(-1, ' ', false, Json::error_handler_t::replace);
    out += '\n';
}

int answer(const CommandCall& call, std::string_view text, const Json& doc) {
    if (call.format == OutputFormat::kJson) write_json(call.out, doc);
    else call.out += text;
    return kExitOk;
}

}  // namespace ringpost::admin::detail
