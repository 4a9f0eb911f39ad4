// The delivery event log (store/event_log.hpp): JSON encoding, appending in
// the accept's batch and as loose events, cursors across a reopen, and the
// bounds (max_events, retention).
#include <chrono>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/event.hpp"
#include "store/event_log.hpp"
#include "store/event_record.hpp"
#include "store/keys.hpp"
#include "store/test_hooks.hpp"
#include "test_util.hpp"

namespace ringpost::store {
namespace {

using testing::TempDir;

std::unique_ptr<Store> open_with_events(const std::string& path, uint64_t max_events = 1000000,
                                        int64_t retention = 7 * 86400) {
    StoreOptions opts;
    opts.path = path;
    opts.events.enabled = true;
    opts.events.max_events = max_events;
    opts.events.retention_seconds = retention;
    auto r = Store::open(opts);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : nullptr;
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Loose events, then a write that waits for its batch: by then they are in.
void submit_loose(Store& store, std::vector<Event> events) {
    auto request = std::make_unique<EventRequest>();
    request->events = std::move(events);
    store.commit_stage().submit(std::move(request));
    ASSERT_TRUE(store.events().cursor("sync").ok());
}

Event loose(const std::string& type, int64_t time_ms = 0) {
    Event e;
    e.type = type;
    e.time_ms = time_ms;
    e.site = "gmail";
    return e;
}

std::vector<uint64_t> ids(Store& store) {
    auto read = store.events().read(0, 1000);
    EXPECT_TRUE(read.ok());
    std::vector<uint64_t> out;
    if (read.ok())
        for (const auto& e : *read) out.push_back(e.id);
    return out;
}

TEST(EventJson, FieldsInSchemaOrderAndEmptyOnesLeftOut) {
    Event e;
    e.type = "failed";
    e.time_ms = 1765096698123;
    e.queue_id = "1A24FC950E800000";
    e.sender = "";
    e.recipient = "Bob@Example.ORG";
    e.code = 550;
    e.enhanced_code = "5.1.1";
    e.response = "no such user";
    e.bounce_class = "invalid-recipient";
    e.attempt = 2;
    e.size = 300;
    EXPECT_EQ(event_json(7, e),
              R"({"id":7,"time":"2025-12-07T08:38:18.123Z","type":"failed","queue_id":"1A24FC950E800000",)"
              R"("sender":"","recipient":"Bob@Example.ORG","domain":"example.org","code":550,"enhanced_code":"5.1.1",)"
              R"("response":"no such user","bounce_class":"invalid-recipient","attempt":2,"size":300})");
}

TEST(EventJson, WithoutAMessageNoSenderUnlessGivenAndUntilAsTime) {
    Event e = loose("suspended", 1000);
    e.until = 60;
    e.reason = "rule r";
    EXPECT_EQ(event_json(1, e), R"({"id":1,"time":"1970-01-01T00:00:01.000Z","type":"suspended","site":"gmail",)"
                                R"("until":"1970-01-01T00:01:00.000Z","reason":"rule r"})");
}

TEST(EventJson, InvalidUtf8InARemoteReplyIsReplacedNotThrown) {
    Event e = loose("deferred", 1000);
    e.response = "bad \xff byte";
    auto j = nlohmann::json::parse(event_json(1, e));
    EXPECT_EQ(j["response"], "bad \xEF\xBF\xBD byte");
}

// The line as nlohmann::ordered_json made it before event_json was written
// by hand: the hand-written one must give the same bytes.
std::string reference_json(uint64_t id, const Event& e) {
    nlohmann::ordered_json j;
    j["id"] = id;
    j["time"] = rfc3339_ms(e.time_ms);
    j["type"] = e.type;
    auto text = [&](const char* name, const std::string& v) {
        if (!v.empty()) j[name] = v;
    };
    text("queue_id", e.queue_id);
    if (!e.queue_id.empty()) j["sender"] = e.sender;
    else text("sender", e.sender);
    text("recipient", e.recipient);
    text("domain", event_domain(e.recipient));
    text("site", e.site);
    text("relay", e.relay);
    text("source", e.source);
    text("pool", e.pool);
    if (e.code != 0) j["code"] = e.code;
    text("enhanced_code", e.enhanced_code);
    text("response", e.response);
    text("bounce_class", e.bounce_class);
    if (e.attempt != 0) j["attempt"] = e.attempt;
    if (e.size != 0) j["size"] = e.size;
    text("client", e.client);
    text("stage", e.stage);
    text("dsn_queue_id", e.dsn_queue_id);
    if (e.until != 0) j["until"] = rfc3339_ms(e.until * 1000);
    text("reason", e.reason);
    text("milter", e.milter);
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// Every field set, each string field to `s`.
Event every_field(const std::string& s) {
    Event e;
    for (std::string* f : {&e.type, &e.queue_id, &e.sender, &e.recipient, &e.site, &e.relay, &e.source, &e.pool,
                           &e.enhanced_code, &e.response, &e.bounce_class, &e.client, &e.stage, &e.dsn_queue_id,
                           &e.reason, &e.milter})
        *f = s;
    e.time_ms = 1765096698123;
    e.code = 65535;
    e.attempt = 4294967295u;
    e.size = UINT64_MAX;
    e.until = 1765096698;
    return e;
}

TEST(EventJson, SameBytesAsTheOrderedJsonItReplaces) {
    const std::vector<std::string> texts = {
        "",          "plain text", "Bob@Example.ORG", "quote \" and \\ backslash", "tab\tnl\ncr\r\b\f",
        "ctl \x01\x1f del \x7f", "utf-8 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "bad \xff byte",
        "cut \xe2\x82", "overlong \xc0\xaf", "surrogate \xed\xa0\x80", std::string("nul \0 inside", 12)};
    for (const std::string& t : texts) {
        Event e = every_field(t);
        EXPECT_EQ(event_json(3, e), reference_json(3, e)) << t;
        e.queue_id.clear();
        e.code = 0;
        e.attempt = 0;
        e.size = 0;
        e.until = 0;
        EXPECT_EQ(event_json(0, e), reference_json(0, e)) << t;
    }
    EXPECT_EQ(event_json(UINT64_MAX, Event{}), reference_json(UINT64_MAX, Event{}));
}

TEST(EventRecord, BinaryRecordKeepsEveryField) {
    for (const std::string& t : {std::string(), std::string("x"), std::string(300, 'y'), std::string("\xff\0", 2)}) {
        Event e = every_field(t);
        e.until = -5;
        auto back = decode_event_value(encode_event_value(e));
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(event_json(9, *back), event_json(9, e));
        EXPECT_EQ(back->until, -5);
        EXPECT_EQ(back->time_ms, e.time_ms);
        EXPECT_EQ(stored_event_json(9, encode_event_value(e)).value(), event_json(9, e));
    }
}

TEST(EventRecord, TruncatedOrUnknownRecordsAreErrors) {
    const std::string value = encode_event_value(every_field("abc"));
    // A record cut where the records before the milter field ended is one
    // of those: valid, without a milter. Cut anywhere else it is damaged.
    const size_t before_milter = value.size() - 4;
    for (size_t n = 0; n < value.size() - 1; ++n) {
        if (n == before_milter) continue;
        EXPECT_FALSE(decode_event_value(value.substr(0, n)).ok()) << n;
    }
    auto old = decode_event_value(value.substr(0, before_milter));
    ASSERT_TRUE(old.ok()) << old.error().message;
    EXPECT_EQ(old->reason, "abc");
    EXPECT_EQ(old->milter, "");
    std::string other = value;
    other[8] = 2;
    EXPECT_FALSE(stored_event_json(1, other).ok());
}

TEST(EventLog, OffMakesNoEvents) {
    TempDir dir;
    auto store = testing::open_store(dir.db());
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->events().enabled());
    auto env = testing::make_envelope("a@example.org", {{"b@example.net"}});
    ASSERT_TRUE(testing::accept(*store, env, "data").ok());
    EXPECT_EQ(test_hooks::raw_count(*store, keys::kEvents).value(), 0u);
}

TEST(EventLog, AcceptAppendsOneReceivedPerRecipientInItsBatch) {
    TempDir dir;
    auto store = open_with_events(dir.db());
    ASSERT_TRUE(store);
    auto env = testing::make_envelope("a@example.org", {{"b@example.net"}, {"c@example.com"}});
    ASSERT_TRUE(testing::accept(*store, env, "12345").ok());
    auto read = store->events().read(0, 10);
    ASSERT_TRUE(read.ok());
    ASSERT_EQ(read->size(), 2u);
    auto first = nlohmann::json::parse((*read)[0].json);
    auto second = nlohmann::json::parse((*read)[1].json);
    EXPECT_EQ(first["id"], (*read)[0].id);
    EXPECT_LT((*read)[0].id, (*read)[1].id);
    EXPECT_EQ(first["type"], "received");
    EXPECT_EQ(first["queue_id"], env.queue_id);
    EXPECT_EQ(first["recipient"], "b@example.net");
    EXPECT_EQ(second["recipient"], "c@example.com");
    EXPECT_EQ(first["size"], 5);
    EXPECT_EQ(first["client"], "192.0.2.1");
    // read() starts after the id given.
    auto rest = store->events().read((*read)[0].id, 10);
    ASSERT_TRUE(rest.ok());
    ASSERT_EQ(rest->size(), 1u);
    EXPECT_EQ((*rest)[0].id, (*read)[1].id);
}

// A log written before events were stored as binary records holds the JSON
// lines themselves: they are read back as they are, beside new records.
TEST(EventLog, JsonLinesOfAnOlderLogAreReadAsTheyAre) {
    TempDir dir;
    // Recent times: the retention would drop events of 1970 at once.
    const int64_t now = now_ms();
    const std::string line = R"({"id":1,"time":")" + rfc3339_ms(now) + R"(","type":"resumed","site":"gmail"})";
    {
        auto store = open_with_events(dir.db());
        ASSERT_TRUE(store);
        std::string value;
        keys::put_be64(value, static_cast<uint64_t>(now));
        ASSERT_TRUE(test_hooks::raw_put(*store, keys::kEvents, keys::event_key(1), value + line).ok());
    }
    auto store = open_with_events(dir.db());
    ASSERT_TRUE(store);
    submit_loose(*store, {loose("throttled", now + 1)});
    auto read = store->events().read(0, 10);
    ASSERT_TRUE(read.ok());
    ASSERT_EQ(read->size(), 2u);
    EXPECT_EQ((*read)[0].json, line);
    EXPECT_EQ((*read)[0].time_ms, now);
    EXPECT_EQ((*read)[1].id, 2u);
    EXPECT_EQ((*read)[1].json, event_json(2, loose("throttled", now + 1)));
}

TEST(EventLog, CursorsAndIdsSurviveAReopen) {
    TempDir dir;
    uint64_t last = 0;
    {
        auto store = open_with_events(dir.db());
        ASSERT_TRUE(store);
        submit_loose(*store, {loose("throttled"), loose("suspended")});
        auto got = ids(*store);
        ASSERT_EQ(got.size(), 2u);
        last = got.back();
        EXPECT_EQ(store->events().cursor("webhook:a").value(), 0u);
        ASSERT_TRUE(store->events().set_cursor("webhook:a", last).ok());
    }
    auto store = open_with_events(dir.db());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->events().cursor("webhook:a").value(), last);
    EXPECT_EQ(store->events().cursor("file").value(), 0u);
    submit_loose(*store, {loose("resumed")});
    auto got = ids(*store);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_GT(got.back(), last);   // ids go on, never reused
    EXPECT_EQ(store->events().read(last, 10).value().size(), 1u);
}

TEST(EventLog, MaxEventsDropsTheOldestWithARangeDelete) {
    TempDir dir;
    auto store = open_with_events(dir.db(), 3);
    ASSERT_TRUE(store);
    submit_loose(*store, {loose("a"), loose("b"), loose("c"), loose("d"), loose("e")});
    auto got = ids(*store);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got, (std::vector<uint64_t>{3, 4, 5}));
    auto stats = store->events().stats();
    EXPECT_EQ(stats.first_id, 3u);
    EXPECT_EQ(stats.next_id, 6u);
    EXPECT_EQ(stats.trimmed, 2u);
}

TEST(EventLog, RetentionDropsEventsOlderThanIt) {
    TempDir dir;
    auto store = open_with_events(dir.db(), 1000000, 60);
    ASSERT_TRUE(store);
    const int64_t now = now_ms();
    submit_loose(*store, {loose("old", now - 120000), loose("older", now - 61000), loose("new", now)});
    auto read = store->events().read(0, 10);
    ASSERT_TRUE(read.ok());
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ(nlohmann::json::parse((*read)[0].json)["type"], "new");
}

}  // namespace
}  // namespace ringpost::store
