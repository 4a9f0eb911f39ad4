// Tests of the error categories of the layers (util/error_category.hpp):
// equal values of different layers never compare equal, each category
// names itself and its values, and only overload and shutdown errors stand
// for the Conditions the protocols test.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "delivery/client_error.hpp"
#include "dns/dns_types.hpp"
#include "io/pool_error.hpp"
#include "pop3/maildrop.hpp"
#include "store/store_error.hpp"
#include "util/result.hpp"

using namespace ringpost;

namespace {

std::vector<const std::error_category*> layer_categories() {
    return {&io::pool_category(),       &store::store_category(),     &pop3::maildrop_category(),
            &delivery::client_category(), &delivery::reply_category(),  &dns::dns_category(),
            &condition_category(),        &std::generic_category()};
}

}  // namespace

TEST(ErrorCategories, EveryLayerHasItsOwnNamedCategory) {
    std::set<std::string> names;
    std::set<const std::error_category*> seen;
    for (const std::error_category* c : layer_categories()) {
        names.insert(c->name());
        seen.insert(c);
    }
    EXPECT_EQ(names.size(), layer_categories().size());
    EXPECT_EQ(seen.size(), layer_categories().size());
    EXPECT_STREQ(io::pool_category().name(), "io.pool");
    EXPECT_STREQ(store::store_category().name(), "store");
}

// The collision of the single integer space: the pool's "busy" was EAGAIN
// (11), the mailbox API's "mailbox exists" 11. Now the same value in two
// categories is two different errors.
TEST(ErrorCategories, EqualValuesOfDifferentLayersDiffer) {
    std::vector<std::error_code> ones = {io::PoolErrc::kBusy,
                                         store::kNoSuchMailbox,
                                         pop3::kInUse,
                                         delivery::kTlsHandshakeError,
                                         dns::make_error_code(dns::DnsStatus::kPermanent),
                                         std::error_code(EPERM, std::generic_category())};
    for (size_t i = 0; i < ones.size(); ++i) {
        EXPECT_EQ(ones[i].value(), 1);
        for (size_t j = i + 1; j < ones.size(); ++j)
            EXPECT_NE(ones[i], ones[j]) << ones[i].category().name() << " vs " << ones[j].category().name();
    }
    Error busy = make_error("blocking pool busy", io::PoolErrc::kBusy);
    EXPECT_NE(busy.code, store::kMailboxExists);
    EXPECT_NE(busy.code, std::error_code(EAGAIN, std::generic_category()));
    EXPECT_EQ(busy.code, io::PoolErrc::kBusy);
}

TEST(ErrorCategories, MessagesNameTheValue) {
    EXPECT_EQ(make_error_code(io::PoolErrc::kBusy).message(), "blocking pool busy");
    EXPECT_EQ(make_error_code(io::PoolErrc::kNoRing).message(), "blocking pool awaited outside a ring thread");
    EXPECT_EQ(make_error_code(store::kMailboxExists).message(), "mailbox already exists");
    EXPECT_EQ(make_error_code(store::kShuttingDown).message(), "store is shutting down");
    EXPECT_EQ(make_error_code(store::kTooManyKeywords).message(), "too many keywords in the mailbox");
    EXPECT_EQ(make_error_code(pop3::kMessageGone).message(), "message no longer exists");
    EXPECT_EQ(make_error_code(delivery::kTlsHandshakeError).message(), "TLS handshake failed");
    EXPECT_EQ(delivery::reply_error_code(554).message(), "SMTP reply 554");
    EXPECT_EQ(make_error_code(dns::DnsStatus::kTemporary).message(), "temporary DNS failure");
    // Values outside the table still say whose they are.
    EXPECT_EQ(store::store_category().message(99), "store error 99");
    EXPECT_EQ(io::pool_category().message(0), "success");
}

TEST(ErrorCategories, MakeErrorKeepsTheCategory) {
    EXPECT_FALSE(make_error("unspecified").code);
    EXPECT_EQ(make_error("x", store::kOutcomeGone).code.category(), store::store_category());
    Error e = make_error("connect: refused", ECONNREFUSED);
    EXPECT_EQ(e.code, std::errc::connection_refused);
    EXPECT_EQ(e.code.category(), std::generic_category());
    EXPECT_EQ(delivery::reply_code_of(Error{delivery::reply_error_code(421), "421 busy"}), 421);
    EXPECT_EQ(delivery::reply_code_of(make_error("errno 421 is not a reply", 421)), 0);
}

// The Conditions are what a protocol may test without knowing the layer.
TEST(ErrorCategories, OnlyOverloadAndShutdownStandForConditions) {
    EXPECT_EQ(make_error_code(io::PoolErrc::kBusy), Condition::kOverloaded);
    EXPECT_EQ(make_error_code(io::PoolErrc::kStopped), Condition::kShuttingDown);
    EXPECT_EQ(make_error_code(store::kShuttingDown), Condition::kShuttingDown);
    EXPECT_NE(make_error_code(io::PoolErrc::kBusy), Condition::kShuttingDown);
    for (std::error_code other : {make_error_code(io::PoolErrc::kThrew), make_error_code(store::kMailboxExists),
                                  make_error_code(pop3::kInUse),
                                  std::error_code(EAGAIN, std::generic_category()), std::error_code()}) {
        EXPECT_NE(other, Condition::kOverloaded) << other.category().name() << " " << other.value();
        EXPECT_NE(other, Condition::kShuttingDown) << other.category().name() << " " << other.value();
    }
    EXPECT_EQ(make_error_condition(Condition::kOverloaded).message(), "overloaded, try again later");
}
