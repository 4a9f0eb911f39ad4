// The admin socket end to end: admin::AdminServer on a real Store, the CLI's client
// (admin::call_admin_server / execute_admin_collect), socket file handling, and the
// direct fallback when no server listens.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "admin/admin.hpp"
#include "cli/cli.hpp"
#include "config/config.hpp"
#include "store_fixture.hpp"

namespace ringpost::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class AdminServerTest : public test::StoreFixture {
protected:
    void TearDown() override {
        server.stop();
        StoreFixture::TearDown();
    }
    std::string socket_path() const { return dir.file("admin.sock"); }

    admin::AdminServer server;
};

TEST_F(AdminServerTest, RunsCommandsOverTheSocket) {
    ASSERT_TRUE(server.start(*store, socket_path()).ok());

    struct stat st{};
    ASSERT_EQ(::lstat(socket_path().c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    std::string out, err;
    auto r = admin::call_admin_server(socket_path(), {"user", "add", "frank@example.test"}, "pw\n", out, err);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ(**r, admin::kExitOk) << err;
    EXPECT_EQ(out, "added user frank@example.test\n");

    out.clear();
    r = admin::call_admin_server(socket_path(), {"queue", "show", "0123456789ABCDEF"}, "", out, err);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ(**r, admin::kExitFailure);
    EXPECT_THAT(err, HasSubstr("ringpost: no such queue ID: 0123456789ABCDEF\n"));
    EXPECT_EQ(out, "");
}

TEST_F(AdminServerTest, SocketOutputIsByteExact) {
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    std::string body;
    for (int i = 0; i < 300000; ++i) body += static_cast<char>((i * 31) & 0xff);   // several frames, NULs
    body = "Subject: big\r\n\r\n" + body;
    std::string id = accept(body, "a@example.test", "b@remote.example", false);

    std::string direct_out, direct_err;
    ASSERT_EQ(admin::run_admin_command(*store, {"queue", "show", id}, "", direct_out, direct_err), admin::kExitOk);
    std::string out, err;
    auto r = admin::call_admin_server(socket_path(), {"queue", "show", id}, "", out, err);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ(**r, admin::kExitOk);
    EXPECT_EQ(out, direct_out);
    EXPECT_EQ(out.substr(out.size() - body.size()), body);
}

// --json: the format travels with the request; the server answers as the
// command does directly, and a failure leaves nothing on out.
TEST_F(AdminServerTest, JsonOverTheSocket) {
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    std::string id = accept("Subject: s\r\n\r\nx\r\n", "a@example.test", "b@remote.example", false);
    std::string direct_out, direct_err;
    ASSERT_EQ(admin::run_admin_command(*store, AdminExtras{}, {"queue", "show", id}, "", direct_out, direct_err,
                                       OutputFormat::kJson),
              admin::kExitOk);
    std::string out, err;
    auto r = admin::call_admin_server(socket_path(), {"queue", "show", id}, "", out, err, OutputFormat::kJson);
    ASSERT_TRUE(r.ok() && r->has_value()) << (r.ok() ? "" : r.error().message);
    EXPECT_EQ(**r, admin::kExitOk) << err;
    EXPECT_EQ(out, direct_out);
    EXPECT_EQ(nlohmann::json::parse(out).at("queue_id"), id);

    out.clear();
    r = admin::call_admin_server(socket_path(), {"queue", "show", "0123456789ABCDEF"}, "", out, err,
                                 OutputFormat::kJson);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ(**r, admin::kExitFailure);
    EXPECT_EQ(out, "");
    EXPECT_THAT(err, HasSubstr("ringpost: no such queue ID: 0123456789ABCDEF\n"));
}

TEST_F(AdminServerTest, NoServerMeansNullopt) {
    std::string out, err;
    auto r = admin::call_admin_server(socket_path(), {"queue", "list"}, "", out, err);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->has_value());

    // A socket file whose server died refuses connections: also "no server".
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path().c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
    r = admin::call_admin_server(socket_path(), {"queue", "list"}, "", out, err);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->has_value());

    // ... and the server replaces such a stale socket at start.
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    r = admin::call_admin_server(socket_path(), {"queue", "list"}, "", out, err);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ(**r, admin::kExitOk);
}

TEST_F(AdminServerTest, StopRemovesSocketAndRestartWorks) {
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    EXPECT_FALSE(server.start(*store, socket_path()).ok());   // already running
    server.stop();
    EXPECT_NE(::access(socket_path().c_str(), F_OK), 0);
    server.stop();                                              // idempotent
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    EXPECT_EQ(::access(socket_path().c_str(), F_OK), 0);
}

TEST_F(AdminServerTest, RefusesLiveSocketAndForeignFiles) {
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    admin::AdminServer second;
    auto r = second.start(*store, socket_path());
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("already listening"));

    std::string file = dir.write("not-a-socket", "keep me");
    r = second.start(*store, file);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("is not a socket"));
    std::ifstream in(file);
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "keep me");
}

TEST_F(AdminServerTest, GarbageRequestGetsUsageExit) {
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path().c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
    ::shutdown(fd, SHUT_WR);
    std::string reply;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
    ::close(fd);
    ASSERT_GE(reply.size(), 9u);
    EXPECT_EQ(reply.substr(reply.size() - 9), std::string("X\0\0\0\4\0\0\0\2", 9));   // exit 2
    EXPECT_THAT(reply, HasSubstr("bad admin request"));

    // The server is still serving.
    std::string out, err;
    auto r = admin::call_admin_server(socket_path(), {"user", "list"}, "", out, err);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ(**r, admin::kExitOk);
}

// No server on this data dir: the CLI path opens the store itself --
// read-write for user add, read-only for listings.
TEST(AdminDirect, FallsBackToTheStore) {
    test::TempDir dir;
    config::Config config = config::default_config();
    config.data_dir = dir.file("data");
    config.admin_socket = dir.file("data/admin.sock");

    std::string out, err;
    EXPECT_EQ(cli::execute_admin_collect(config, {"queue", "list"}, "", out, err), admin::kExitFailure);
    EXPECT_THAT(err, HasSubstr("does not exist"));   // read-only commands never create the data dir

    out.clear();
    err.clear();
    ASSERT_EQ(cli::execute_admin_collect(config, {"user", "add", "gina@example.test"}, "pw\n", out, err), admin::kExitOk) << err;
    EXPECT_EQ(out, "added user gina@example.test\n");

    out.clear();
    ASSERT_EQ(cli::execute_admin_collect(config, {"user", "list"}, "", out, err), admin::kExitOk) << err;
    EXPECT_THAT(out, StartsWith("gina@example.test "));

    out.clear();
    ASSERT_EQ(cli::execute_admin_collect(config, {"queue", "list"}, "", out, err), admin::kExitOk) << err;
    EXPECT_EQ(out, "-- 0 messages, 0 bytes, 0 recipients pending\n");

    out.clear();   // --json on the direct path
    ASSERT_EQ(cli::execute_admin_collect(config, {"user", "list"}, "", out, err, OutputFormat::kJson), admin::kExitOk)
        << err;
    EXPECT_EQ(nlohmann::json::parse(out).at("users").at(0).at("address"), "gina@example.test");
}

// Same commands with a server holding the store: the CLI path goes through the socket.
TEST_F(AdminServerTest, CliPathUsesTheServerWhenItRuns) {
    ASSERT_TRUE(server.start(*store, socket_path()).ok());
    config::Config config = config::default_config();
    config.data_dir = dir.file("data");
    config.admin_socket = socket_path();
    std::string out, err;
    ASSERT_EQ(cli::execute_admin_collect(config, {"user", "add", "hank@example.test"}, "pw\n", out, err), admin::kExitOk) << err;
    auto rec = store->users().get("hank@example.test");
    ASSERT_TRUE(rec.ok());
    EXPECT_TRUE(rec->has_value());
}

}  // namespace
}  // namespace ringpost::admin
