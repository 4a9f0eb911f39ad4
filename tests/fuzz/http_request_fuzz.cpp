// Fuzz target: the HTTP request parser adapter (src/http/parser.hpp, over
// Boost.Beast's parser) fed a client's bytes in random chunks, consuming
// as the connection driver does. Option bits choose small limits. Checks:
// consumed never exceeds the input; a request's path starts with "/" and
// its body keeps to max_body; an error is one of the statuses the limits
// and syntax give and stays; and when neither run fails, the same bytes
// fed whole and in chunks give the same requests (framing does not depend
// on how reads split the stream).
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "quiet_log.hpp"
#include "http/parser.hpp"

using namespace ringpost;
using namespace ringpost::http;

namespace {

struct Run {
    std::vector<std::string> requests;   // method, target, body of each
    int error = 0;
};

void step(RequestParser& parser, std::string& buffer, Run& run, const ParserLimits& limits) {
    for (int rounds = 0; rounds < 100000 && run.error == 0; ++rounds) {
        size_t consumed = 0;
        const RequestParser::Event ev = parser.feed(buffer, consumed);
        FUZZ_CHECK(consumed <= buffer.size());
        buffer.erase(0, consumed);
        if (ev == RequestParser::Event::kContinue) continue;
        if (ev == RequestParser::Event::kError) {
            run.error = parser.error_status();
            FUZZ_CHECK(run.error == 400 || run.error == 413 || run.error == 414 || run.error == 431);
            FUZZ_CHECK(!parser.error_text().empty());
            size_t again = 0;
            FUZZ_CHECK(parser.feed("GET / HTTP/1.1\r\n\r\n", again) == RequestParser::Event::kError);
            return;
        }
        if (ev == RequestParser::Event::kNeedInput) return;
        Request r = parser.take();
        FUZZ_CHECK(!r.path.empty() && r.path[0] == '/');
        FUZZ_CHECK(!r.method_text.empty());
        FUZZ_CHECK(r.body.size() <= limits.max_body);
        FUZZ_CHECK(r.version == 10 || r.version == 11);
        run.requests.push_back(r.method_text + " " + r.target + "\n" + r.body);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    ParserLimits limits;
    if (in.option(0)) limits.max_request_line = 64;
    if (in.option(1)) limits.max_header = 256;
    limits.max_body = in.option(2) ? 16 : 4096;

    Run whole;
    {
        RequestParser parser(limits);
        std::string buffer(in.bytes());
        step(parser, buffer, whole, limits);
    }
    Run chunked;
    RequestParser parser(limits);
    std::string buffer;
    fuzz::for_each_chunk(in, [&](std::string_view chunk) {
        if (chunked.error != 0) return;
        buffer.append(chunk);
        step(parser, buffer, chunked, limits);
    });
    if (whole.error == 0 && chunked.error == 0) FUZZ_CHECK(whole.requests == chunked.requests);
    return 0;
}
