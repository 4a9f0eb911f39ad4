// Router (src/http/router.hpp): 404, 405 with Allow, 501, HEAD by GET,
// exact before prefix, the access rules with and without a tokens file,
// and a throwing handler's 500.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace ringpost;
using namespace ringpost::http;

namespace {

// Runs a task that never suspends (the handlers here answer at once).
Response run(const Router& router, const Request& request, Caller& caller) {
    Response out;
    auto body = [&]() -> io::Task<void> {
        auto dispatching = router.dispatch(request, caller);
        out = co_await std::move(dispatching);
    };
    io::spawn(body());
    return out;
}

Request request(Method m, std::string path, std::string token = "") {
    Request r;
    r.method = m;
    r.method_text = m == Method::kUnknown ? "BREW" : std::string(method_name(m));
    r.path = std::move(path);
    if (!token.empty()) r.headers.add("authorization", "Bearer " + token);
    return r;
}

Handler answer(std::string text) {
    return [text](const Request&, const Caller& c) -> io::Task<Response> {
        Response r;
        r.body = text + (c.token.empty() ? "" : " by " + c.token);
        co_return r;
    };
}

Router table(const TokenHolder* tokens) {
    Router r(tokens);
    r.add(Method::kGet, "/api/v1/commands", Access::kApi, answer("commands"))
        .add_prefix(Method::kGet, "/api/v1/", Access::kApi, answer("get-prefix"))
        .add_prefix(Method::kPost, "/api/v1/", Access::kApi, answer("post-prefix"))
        .add(Method::kGet, "/metrics", Access::kMonitoring, answer("metrics"))
        .add(Method::kGet, "/boom", Access::kMonitoring, [](const Request&, const Caller&) -> io::Task<Response> {
            throw std::runtime_error("boom");
            co_return Response{};
        });
    return r;
}

}  // namespace

TEST(HttpRouter, RefusalsNoHandlerSees) {
    const Router router = table(nullptr);
    Caller trusted{"127.0.0.1", 1, false, true, {}};
    EXPECT_EQ(run(router, request(Method::kGet, "/nowhere"), trusted).status, 404);
    EXPECT_EQ(run(router, request(Method::kUnknown, "/metrics"), trusted).status, 501);
    const Response wrong = run(router, request(Method::kDelete, "/metrics"), trusted);
    EXPECT_EQ(wrong.status, 405);
    ASSERT_NE(wrong.headers.find("Allow"), nullptr);
    EXPECT_EQ(*wrong.headers.find("Allow"), "GET, HEAD");
    const Response prefix = run(router, request(Method::kPut, "/api/v1/queue/list"), trusted);
    EXPECT_EQ(prefix.status, 405);
    EXPECT_EQ(*prefix.headers.find("allow"), "GET, HEAD, POST");
    EXPECT_EQ(run(router, request(Method::kGet, "/boom"), trusted).status, 500);
}

TEST(HttpRouter, ExactBeforePrefixAndHeadByGet) {
    const Router router = table(nullptr);
    Caller trusted{"127.0.0.1", 1, false, true, {}};
    EXPECT_EQ(run(router, request(Method::kGet, "/api/v1/commands"), trusted).body, "commands");
    EXPECT_EQ(run(router, request(Method::kGet, "/api/v1/queue/list"), trusted).body, "get-prefix");
    EXPECT_EQ(run(router, request(Method::kPost, "/api/v1/queue/flush"), trusted).body, "post-prefix");
    EXPECT_EQ(run(router, request(Method::kHead, "/metrics"), trusted).body, "metrics");
}

TEST(HttpRouter, WithoutTokensOnlyRelayNetworks) {
    const Router router = table(nullptr);
    Caller trusted{"127.0.0.1", 1, false, true, {}};
    Caller stranger{"192.0.2.9", 1, false, false, {}};
    EXPECT_EQ(run(router, request(Method::kGet, "/api/v1/queue/list"), trusted).status, 200);
    EXPECT_EQ(run(router, request(Method::kGet, "/api/v1/queue/list"), stranger).status, 403);
    EXPECT_EQ(run(router, request(Method::kGet, "/metrics"), stranger).status, 403);
    EXPECT_EQ(run(router, request(Method::kGet, "/metrics", "whatever"), stranger).status, 403);
}

TEST(HttpRouter, WithTokensTheApiNeedsOne) {
    auto set = TokenSet::parse("# comment\nops " + hex(sha256("sekrit")) + "\n", "tokens");
    ASSERT_TRUE(set.ok()) << set.error().message;
    TokenHolder holder(std::make_shared<const TokenSet>(std::move(set).value()));
    const Router router = table(&holder);
    Caller trusted{"127.0.0.1", 1, false, true, {}};
    Caller stranger{"192.0.2.9", 1, false, false, {}};
    const Response missing = run(router, request(Method::kGet, "/api/v1/queue/list"), trusted);
    EXPECT_EQ(missing.status, 401);
    ASSERT_NE(missing.headers.find("WWW-Authenticate"), nullptr);
    EXPECT_EQ(*missing.headers.find("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(run(router, request(Method::kGet, "/api/v1/queue/list", "wrong"), trusted).status, 401);
    Caller with_token = stranger;
    EXPECT_EQ(run(router, request(Method::kGet, "/api/v1/queue/list", "sekrit"), with_token).body, "get-prefix by ops");
    // Monitoring: relay_networks without a token, anyone with one.
    EXPECT_EQ(run(router, request(Method::kGet, "/metrics"), trusted).status, 200);
    EXPECT_EQ(run(router, request(Method::kGet, "/metrics"), stranger).status, 401);
    Caller stranger2 = stranger;
    EXPECT_EQ(run(router, request(Method::kGet, "/metrics", "sekrit"), stranger2).status, 200);
}
