// Static route syntax ([delivery.routes]) and how connection / DNS errors
// become per-recipient diagnostics.
#include <gtest/gtest.h>

#include <cerrno>

#include "delivery/client_error.hpp"
#include "delivery/route.hpp"
#include "delivery/targets.hpp"

namespace ringpost::delivery {
namespace {

Route route(std::string_view text) {
    auto r = parse_route(text);
    EXPECT_TRUE(r.ok()) << text << ": " << r.error().message;
    return r.ok() ? r.value() : Route{};
}

TEST(Route, HostAndPortForms) {
    EXPECT_EQ(route("127.0.0.1:2626"), (Route{"127.0.0.1", 2626}));
    EXPECT_EQ(route("mx.partner.test"), (Route{"mx.partner.test", 0}));
    EXPECT_EQ(route("mx.partner.test:587"), (Route{"mx.partner.test", 587}));
    EXPECT_EQ(route("[::1]:25"), (Route{"::1", 25}));
    EXPECT_EQ(route("[192.0.2.1]"), (Route{"192.0.2.1", 0}));
    EXPECT_EQ(route("2001:db8::1"), (Route{"2001:db8::1", 0}));   // bare IPv6: no port
}

TEST(Route, BadInputSaysWhat) {
    EXPECT_EQ(parse_route("host:0").error().message, "bad port \"0\" in \"host:0\"");
    EXPECT_EQ(parse_route("host:65536").error().message, "bad port \"65536\" in \"host:65536\"");
    EXPECT_EQ(parse_route("host:").error().message, "bad port \"\" in \"host:\"");
    EXPECT_EQ(parse_route("[::1").error().message, "missing ']' in \"[::1\"");
    EXPECT_EQ(parse_route("[::1]x").error().message, "unexpected \"x\" after ']' in \"[::1]x\"");
    EXPECT_EQ(parse_route("").error().message, "bad host in \"\"");
    EXPECT_EQ(parse_route("a b:25").error().message, "bad host in \"a b:25\"");
    EXPECT_FALSE(parse_route(":25").ok());
}

TEST(DiagnosticFromError, ServerReplySplitsIntoCodeEnhancedAndText) {
    Diagnostic d = diagnostic_from_error(Error{reply_error_code(554), "554 5.7.1 go away"}, Outcome::kFailed, "5.4.0");
    EXPECT_EQ(d.outcome, Outcome::kFailed);
    EXPECT_EQ(d.code, 554);
    EXPECT_EQ(d.enhanced, "5.7.1");
    EXPECT_EQ(d.text, "go away");
    EXPECT_EQ(d.to_string(), "554 5.7.1 go away");
}

TEST(DiagnosticFromError, LocalErrorsKeepTheirEnhancedCodeOrGetTheDefault) {
    Diagnostic d = diagnostic_from_error(Error{{}, "4.4.1 connect to 127.0.0.2:25: Connection refused"},
                                         Outcome::kDeferred, "4.4.1");
    EXPECT_EQ(d.code, 0);
    EXPECT_EQ(d.enhanced, "4.4.1");
    EXPECT_EQ(d.text, "connect to 127.0.0.2:25: Connection refused");
    Diagnostic plain = diagnostic_from_error(make_error("Connection refused", ECONNREFUSED), Outcome::kDeferred, "4.4.1");
    EXPECT_EQ(plain.code, 0);   // an errno is not a reply code
    EXPECT_EQ(plain.enhanced, "4.4.1");
    EXPECT_EQ(plain.text, "Connection refused");
    Diagnostic no_enhanced = diagnostic_from_error(Error{reply_error_code(421), "421 busy"}, Outcome::kDeferred, "4.4.1");
    EXPECT_EQ(no_enhanced.code, 421);
    EXPECT_EQ(no_enhanced.enhanced, "4.4.1");
    EXPECT_EQ(no_enhanced.text, "busy");
}

}  // namespace
}  // namespace ringpost::delivery
