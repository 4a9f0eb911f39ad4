// The injection API's answers (api/injection_api.hpp): the status and body
// for each outcome of the messages of a request, and the callers' rate.
#include "api/injection_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace ringpost;
using namespace ringpost::api;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

InjectionResult accepted(std::string qid, std::vector<std::string> rcpts) {
    InjectionResult r;
    r.queue_id = std::move(qid);
    r.accepted = std::move(rcpts);
    return r;
}

InjectionResult refused(uint16_t code, std::string enhanced, std::string text) {
    InjectionResult r;
    r.refusal = {code, std::move(enhanced), std::move(text)};
    return r;
}

}  // namespace

TEST(InjectionResponse, AcceptedMessagesAndRefusedRecipients) {
    InjectionResult a = accepted("00000000000000A1", {"a@x"});
    a.refused.push_back({"nobody@x", {550, "5.1.1", "<nobody@x>: Recipient address rejected"}});
    http::Response r = injection_response({{"a@x", "nobody@x"}}, {a});
    EXPECT_EQ(r.status, 200);
    json doc = json::parse(r.body);
    EXPECT_EQ(doc["success_count"], 1);
    EXPECT_EQ(doc["fail_count"], 1);
    EXPECT_EQ(doc["messages"][0]["queue_id"], "00000000000000A1");
    EXPECT_EQ(doc["failed_recipients"][0]["recipient"], "nobody@x");
    EXPECT_EQ(doc["failed_recipients"][0]["code"], 550);
    EXPECT_EQ(doc["failed_recipients"][0]["enhanced_code"], "5.1.1");
}

TEST(InjectionResponse, AllAcceptedIsWrittenAsNlohmannWritesIt) {
    // The direct writer of the common answer against the document built and
    // dumped by nlohmann (as for every other answer): the same bytes.
    auto expected = [](const std::vector<InjectionResult>& results) {
        json messages = json::array();
        size_t success = 0;
        for (const auto& r : results) {
            messages.push_back({{"queue_id", r.queue_id}, {"recipients", r.accepted}});
            success += r.accepted.size();
        }
        json doc = {{"success_count", success}, {"fail_count", 0}, {"messages", messages},
                    {"failed_recipients", json::array()}, {"failed_messages", json::array()}};
        return doc.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    const std::vector<std::vector<InjectionResult>> cases = {
        {},
        {accepted("00000000000000A1", {"user@sink.test"})},
        {accepted("00000000000000A1", {"a@x", "b@y", "c@z"}), accepted("00000000000000A2", {"d@x"})},
        {accepted("00000000000000A3", {})},
        // Strings that need escaping, or are not ASCII: nlohmann writes these.
        {accepted("00000000000000A4", {"\"q\"@x"})},
        {accepted("00000000000000A5", {"j\u00f6rg@x", "tab\t@x", "del\x7f@x"})},
    };
    for (const auto& results : cases) {
        std::vector<std::vector<std::string>> rcpts;
        for (const auto& r : results) rcpts.push_back(r.accepted);
        http::Response r = injection_response(rcpts, results);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, http::Response::json(200, expected(results)).body);
    }
}

TEST(InjectionResponse, NothingAcceptedTakesItsStatusFromTheReply) {
    struct Case {
        InjectionResult result;
        int status;
    };
    for (const Case& c : {Case{refused(552, "5.3.4", "Message size exceeds fixed limit"), 413},
                          Case{refused(452, "4.3.1", "Insufficient system storage"), 503},
                          Case{refused(421, "4.3.2", "Service shutting down"), 503},
                          Case{refused(451, "4.3.0", "Temporary failure storing the message"), 503},
                          Case{refused(550, "5.1.1", "Recipient address rejected"), 422}}) {
        http::Response r = injection_response({{"a@x"}}, {c.result});
        EXPECT_EQ(r.status, c.status) << c.result.refusal.text;
        json doc = json::parse(r.body);
        EXPECT_EQ(doc["success_count"], 0);
        EXPECT_EQ(doc["fail_count"], 1);
        EXPECT_EQ(doc["failed_messages"][0]["recipients"], json::array({"a@x"}));
        EXPECT_EQ(doc["error"], c.result.refusal.enhanced + " " + c.result.refusal.text);
        EXPECT_EQ(r.headers.find("Retry-After") != nullptr, c.status == 503);
    }
}

TEST(InjectionResponse, SomeMessagesAcceptedIsA200ThatListsTheOthers) {
    http::Response r = injection_response({{"a@x"}, {"b@x"}},
                                          {accepted("00000000000000A1", {"a@x"}), refused(552, "5.3.4", "too big")});
    EXPECT_EQ(r.status, 200);
    json doc = json::parse(r.body);
    EXPECT_EQ(doc["success_count"], 1);
    EXPECT_EQ(doc["fail_count"], 1);
    EXPECT_EQ(doc["failed_messages"][0]["code"], 552);
}

TEST(CallerRates, ABucketHoldsOnePeriodAndRefills) {
    CallerRates rates(delivery::Rate{60, std::chrono::minutes(1)});   // 1/s, bursts of 60
    const auto t0 = CallerRates::Clock::time_point{} + 1h;
    EXPECT_EQ(rates.take("app", 60, t0), 0);
    EXPECT_EQ(rates.take("app", 1, t0), 1) << "empty: one more in a second";
    EXPECT_EQ(rates.take("other", 10, t0), 0) << "per caller";
    EXPECT_EQ(rates.take("app", 5, t0 + 2s), 3) << "two refilled, five wanted";
    EXPECT_EQ(rates.take("app", 5, t0 + 5s), 0);
    EXPECT_EQ(rates.take("app", 61, t0 + 1h), -1) << "never fits";
    CallerRates none(delivery::Rate{});
    EXPECT_TRUE(none.unlimited());
    EXPECT_EQ(none.take("app", 1000000, t0), 0);
}

TEST(CallerRates, CallersAreForgottenOnScheduleOnceTheirBucketsRefill) {
    CallerRates rates(delivery::Rate{60, std::chrono::minutes(1)});   // 1/s, bursts of 60
    const auto t0 = CallerRates::Clock::time_point{} + 1h;
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(rates.take("10.0.0." + std::to_string(i), 30, t0), 0);
    EXPECT_EQ(rates.callers(), 1000u);
    EXPECT_EQ(rates.take("busy", 60, t0 + 30s), 0);
    EXPECT_EQ(rates.callers(), 1001u) << "no pruning before a period has passed";
    // A minute on, every once-seen caller has refilled: forgotten, none refused.
    EXPECT_EQ(rates.take("new", 1, t0 + 61s), 0);
    EXPECT_EQ(rates.callers(), 2u);
    EXPECT_EQ(rates.take("busy", 40, t0 + 61s), 9) << "a bucket not yet full keeps its state";
}
