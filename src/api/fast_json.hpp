// A fast path for parsing request bodies into nlohmann::json. nlohmann's
// lexer handles a string byte by byte (each byte pushed into two buffers):
// for the injection API, whose body is mostly one long "content" string,
// that was the largest cost of a request. This parser copies a string's
// plain runs at once and builds the same document.
//
// It accepts only what it is sure nlohmann accepts, with the same result:
// for anything else (an error, an unusual number, deep nesting, a \u
// escape of a lone surrogate ...) it answers nullopt and the caller parses
// with nlohmann, whose verdict and error message then stand.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ringpost::api {

std::optional<nlohmann::json> fast_parse_json(std::string_view text);

}  // namespace ringpost::api
