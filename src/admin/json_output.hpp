// The JSON side of the admin commands' output (OutputFormat::kJson, for the
// HTTP admin API and `--json`): one document per call, on one line. Fields
// are typed (counts as numbers, times as RFC 3339 UTC strings, null for
// "none"); strings from the network are given as received, not escaped as
// the text output escapes them -- JSON's own escaping keeps a terminal safe
// -- and bytes that are not UTF-8 become U+FFFD. Message bytes are the
// exception: they go out unchanged, as text when they are UTF-8, else in
// base64 (add_message). Schemas: docs/CLI.md. Internal to src/admin.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ringpost::admin {
struct CommandCall;
}

namespace ringpost::admin::detail {

// Keys in the order they are set, so the output reads in the documented order.
using Json = nlohmann::ordered_json;

// "2026-11-24T10:00:00Z", or null for 0 (never / none).
Json time_or_null(int64_t unix_seconds);
// The string, or null when it is empty.
Json text_or_null(std::string_view s);

// "message": the bytes when they are valid UTF-8, else "message_base64":
// their base64 -- a JSON string cannot hold arbitrary bytes, and a
// replacement character would change the message.
void add_message(Json& doc, std::string_view bytes);

// The document, on one line, then "\n".
void write_json(std::string& out, const Json& doc);

// A command's result, in the caller's format: `text` as it is, or `doc`.
// Returns kExitOk.
int answer(const CommandCall& call, std::string_view text, const Json& doc);

}  // namespace ringpost::admin::detail
