// The one file that includes Boost.Beast (parser.hpp says why).
#include "http/parser.hpp"
#include "util/ascii.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace ringpost::http {

namespace beast_http = boost::beast::http;

struct RequestParser::Beast {
    // Chunk extensions (RFC 9112 7.1.1) are refused with a 400: the
    // http_request fuzz target found requests with one (quoted, or a long
    // token) that Beast framed differently depending on how reads split
    // them, and a framing that depends on the reads is a request-smuggling
    // risk. No client of this API sends them; RFC 9112 lets a server limit
    // them. Declared before the parser, which keeps a reference to it.
    static void refuse_extensions(std::uint64_t, boost::beast::string_view extensions, boost::beast::error_code& ec) {
        if (!extensions.empty()) ec = beast_http::error::bad_chunk_extension;
    }
    void (*on_chunk_header)(std::uint64_t, boost::beast::string_view, boost::beast::error_code&) = &refuse_extensions;
    beast_http::request_parser<beast_http::string_body> parser;
};

namespace {

using util::iequals;

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}
RequestParser::~RequestParser() = default;

RequestParser::Event RequestParser::fail(int status, std::string text) {
    error_status_ = status;
    error_text_ = std::move(text);
    return Event::kError;
}

bool RequestParser::in_progress() const { return beast_ && beast_->parser.got_some(); }

bool RequestParser::in_body() const { return beast_ && beast_->parser.is_header_done() && !beast_->parser.is_done(); }

bool RequestParser::check_start(std::string_view input, size_t& consumed) {
    if (!beast_->parser.got_some())
        while (consumed < input.size() && (input[consumed] == '\r' || input[consumed] == '\n')) ++consumed;
    // Until Beast takes the request line, the unconsumed input starts with it.
    const std::string_view rest = input.substr(consumed);
    const size_t eol = rest.find('\n');
    const size_t line = eol == std::string_view::npos ? rest.size() : eol;
    return line <= limits_.max_request_line + 1;   // + its CR
}

RequestParser::Event RequestParser::feed(std::string_view input, size_t& consumed) {
    consumed = 0;
    if (error_status_ != 0) return Event::kError;
    for (;;) {
        if (!beast_) {
            beast_ = std::make_unique<Beast>();
            auto& p = beast_->parser;
            // Not eager until the header is in: put() then stops at its
            // end, so header_seen_ counts header bytes only.
            p.eager(false);
            p.header_limit(static_cast<std::uint32_t>(limits_.max_header));
            p.body_limit(limits_.max_body);
            p.on_chunk_header(beast_->on_chunk_header);
            header_seen_ = 0;
            left_unparsed_ = 0;
            continue_sent_ = false;
        }
        auto& p = beast_->parser;
        // Beast's chunk parser assumes that after need_more it is called
        // again with more bytes, and in the last chunk with at least 5
        // (an assertion, i.e. an abort, with fewer: "0\r\n" then one byte).
        // Whatever it left unparsed, it gets back only with more, and at
        // least 5 bytes: the shortest rest of a chunked body ("0\r\n\r\n").
        if (left_unparsed_ != 0 && input.size() - consumed < std::max<size_t>(left_unparsed_ + 1, 5))
            return Event::kNeedInput;
        const bool in_header = !p.is_header_done();
        if (in_header && header_seen_ == 0 && !check_start(input, consumed)) return fail(414, "request line too long");
        boost::beast::error_code ec;
        const std::string_view rest = input.substr(consumed);
        const size_t used = p.put(boost::asio::const_buffer(rest.data(), rest.size()), ec);
        consumed += used;
        if (in_header) {
            // Beast takes the start line and each complete field as they
            // come, and applies its limit to what is left: the whole block
            // is counted here.
            header_seen_ += used;
            const size_t pending = p.is_header_done() ? 0 : input.size() - consumed;
            if (header_seen_ + pending > limits_.max_header) return fail(431, "request header fields too large");
            if (p.is_header_done()) p.eager(true);
        }
        if (ec == beast_http::error::need_more || (!ec && !p.is_done() && used == 0)) {
            left_unparsed_ = p.is_header_done() ? input.size() - consumed : 0;
            // A chunk header or trailer that never ends would fill the buffer.
            if (input.size() - consumed > limits_.max_header) return fail(400, "chunk header too long");
            if (p.is_header_done() && !continue_sent_) {
                continue_sent_ = true;
                const auto expect = p.get().find(beast_http::field::expect);
                if (expect != p.get().end() && iequals(view(expect->value()), "100-continue")) return Event::kContinue;
            }
            return Event::kNeedInput;
        }
        if (ec == beast_http::error::header_limit) return fail(431, "request header fields too large");
        if (ec == beast_http::error::body_limit) return fail(413, "request body too large");
        if (ec) return fail(400, "bad request: " + ec.message());
        if (p.is_done()) return finish();
    }
}

RequestParser::Event RequestParser::finish() {
    auto message = beast_->parser.release();
    beast_.reset();
    Request r;
    r.method_text = std::string(view(message.method_string()));
    r.method = method_from(r.method_text);
    r.target = std::string(view(message.target()));
    if (!parse_target(r.target, r.path, r.query)) return fail(400, "bad request target");
    r.version = message.version();   // Beast takes HTTP/1.0 and HTTP/1.1 only (else bad_version: 400)
    r.keep_alive = message.keep_alive();
    for (const auto& field : message) r.headers.add(std::string(view(field.name_string())), std::string(view(field.value())));
    r.body = std::move(message.body());
    request_ = std::move(r);
    return Event::kRequest;
}

Request RequestParser::take() { return std::move(request_); }

}  // namespace ringpost::http
