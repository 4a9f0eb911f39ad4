// The admin API's mapping (src/api/admin_api.hpp) without a server: paths
// to commands, query parameters and JSON bodies to operands, exit codes and
// messages to statuses, and the command table as JSON.
#include "api/admin_api.hpp"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace ringpost;
using namespace ringpost::api;

namespace {

http::Request get(std::string path, http::QueryParams query = {}) {
    http::Request r;
    r.method = http::Method::kGet;
    r.path = std::move(path);
    r.query = std::move(query);
    return r;
}

}  // namespace

TEST(AdminApi, PathsNameCommands) {
    const admin::CommandSpec* spec = command_for_path("/api/v1/queue/suspend");
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(spec->name, "suspend");
    EXPECT_EQ(command_for_path("/api/v1/queue"), nullptr);
    EXPECT_EQ(command_for_path("/api/v1/queue/"), nullptr);
    EXPECT_EQ(command_for_path("/api/v1/queue/list/extra"), nullptr);
    EXPECT_EQ(command_for_path("/api/v1/queue/teleport"), nullptr);
    EXPECT_EQ(command_for_path("/api/v2/queue/list"), nullptr);
}

TEST(AdminApi, QueryParametersBecomeOperandsThenOptions) {
    const admin::CommandSpec& suspend = *command_for_path("/api/v1/queue/suspend");
    auto call = request_from_query(suspend, get("/api/v1/queue/suspend", {{"for", "2h"}, {"arg", "example.com"}}));
    ASSERT_TRUE(call.ok());
    EXPECT_EQ(call->operands, (std::vector<std::string>{"example.com", "--for=2h"}));
    EXPECT_FALSE(request_from_query(suspend, get("/x", {{"domain", "d"}})).ok());
}

TEST(AdminApi, JsonBodiesBecomeOperandsOptionsAndThePassword) {
    const admin::CommandSpec& add = *command_for_path("/api/v1/user/add");
    auto call = request_from_body(add, R"({"args": ["a@localhost"], "password": "pw"})");
    ASSERT_TRUE(call.ok());
    EXPECT_EQ(call->operands, (std::vector<std::string>{"a@localhost"}));
    EXPECT_EQ(call->input, "pw\n");
    const admin::CommandSpec& bounce = *command_for_path("/api/v1/queue/bounce");
    call = request_from_body(bounce, R"({"options": {"domain": "dead.example"}})");
    ASSERT_TRUE(call.ok());
    EXPECT_EQ(call->operands, (std::vector<std::string>{"--domain=dead.example"}));
    EXPECT_TRUE(request_from_body(bounce, "").ok());
    for (const char* bad : {"[1]", "{", R"({"args": [1]})", R"({"options": {"nope": "x"}})",
                            R"({"password": "pw"})", R"({"extra": 1})"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(request_from_body(bounce, bad).ok());
    }
}

TEST(AdminApi, ExitCodesAndMessagesGiveTheStatus) {
    EXPECT_EQ(command_response(admin::kExitOk, "{\"users\": []}", "").status, 200);
    const http::Response usage = command_response(admin::kExitUsage, "", "ringpost: usage: ringpost queue show ID\n");
    EXPECT_EQ(usage.status, 400);
    EXPECT_EQ(usage.body, "{\"error\": \"usage: ringpost queue show ID\"}\n");
    EXPECT_EQ(command_response(admin::kExitFailure, "", "ringpost: no such queue ID: 0123\n").status, 404);
    EXPECT_EQ(command_response(admin::kExitFailure, "", "ringpost: no such user: a@b\n").status, 404);
    EXPECT_EQ(command_response(admin::kExitFailure, "", "ringpost: no suspension of x.test\n").status, 404);
    EXPECT_EQ(command_response(admin::kExitFailure, "", "ringpost: user a@b already exists\n").status, 409);
    EXPECT_EQ(command_response(admin::kExitFailure, "", "ringpost: store error: IO error\n").status, 500);
}

TEST(AdminApi, TheCommandTableAsJson) {
    const auto doc = nlohmann::json::parse(commands_json());
    ASSERT_EQ(doc["commands"].size(), admin::commands().size());
    bool saw_add = false;
    for (const auto& c : doc["commands"]) {
        if (c["group"] != "user" || c["name"] != "add") continue;
        saw_add = true;
        EXPECT_EQ(c["method"], "POST");
        EXPECT_EQ(c["writes"], true);
        EXPECT_EQ(c["password"], true);
        EXPECT_EQ(c["args"][0]["name"], "ADDRESS");
        EXPECT_EQ(c["args"][0]["count"], "required");
    }
    EXPECT_TRUE(saw_add);
    // A flag option (queue hold --all) says so; one with a value does not.
    const auto hold = std::find_if(doc["commands"].begin(), doc["commands"].end(),
                                   [](const auto& c) { return c["group"] == "queue" && c["name"] == "hold"; });
    ASSERT_NE(hold, doc["commands"].end());
    EXPECT_EQ((*hold)["method"], "POST");
    EXPECT_EQ((*hold)["options"][0]["name"], "all");
    EXPECT_EQ((*hold)["options"][0]["flag"], true);
    EXPECT_EQ((*hold)["options"][1]["name"], "domain");
    EXPECT_EQ((*hold)["options"][1]["flag"], false);
    const admin::CommandSpec* spec = command_for_path(std::string(kAdminPrefix) + "queue/release");
    ASSERT_NE(spec, nullptr);
    auto call = request_from_body(*spec, R"({"options": {"all": "1"}})");
    ASSERT_TRUE(call.ok()) << call.error().message;
    EXPECT_EQ(call->operands, (std::vector<std::string>{"--all=1"}));
}
