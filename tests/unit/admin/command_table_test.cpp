// The admin command table (admin/command_table.hpp) and its front ends:
// every entry is reachable under the same words from the CLI parser
// (cli::AdminParser) and from run_admin_command(), help lists every command,
// and each command's `writes` flag matches what it does to a store.
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "cli/admin_parser.hpp"
#include "metrics/registry.hpp"
#include "store_fixture.hpp"

namespace ringpost::admin {
namespace {

using ::testing::HasSubstr;

std::string path_of(const CommandSpec& spec) {
    return spec.name.empty() ? std::string(spec.group) : std::string(spec.group) + " " + std::string(spec.name);
}

// The words that name the command: group and name, or the group alone.
std::vector<std::string> words_of(const CommandSpec& spec) {
    std::vector<std::string> words{std::string(spec.group)};
    if (!spec.name.empty()) words.push_back(std::string(spec.name));
    return words;
}

// One operand per argument (two for a repeated one), for parsing only.
std::vector<std::string> dummy_operands(const CommandSpec& spec) {
    std::vector<std::string> ops;
    for (const ArgSpec& a : spec.args) {
        ops.push_back("x-" + std::string(a.name));
        if (a.count == ArgSpec::Count::kRepeated) ops.push_back("y-" + std::string(a.name));
    }
    return ops;
}

// The command's words with dummy operands: group, name (if any), operands.
std::vector<std::string> sample_words(const CommandSpec& spec) {
    std::vector<std::string> words = words_of(spec);
    for (const auto& op : dummy_operands(spec)) words.push_back(op);
    return words;
}

// The parser as run_cli() builds it, with --config on every subcommand.
struct CliParser {
    CliParser()
        : parser(app, [this](CLI::App* sub) {
              sub->add_option("-c,--config", config_path, "configuration file");
              return sub;
          }) {
        app.require_subcommand(1);
    }
    void parse(std::vector<std::string> words) {
        std::vector<char*> argv{const_cast<char*>("ringpost")};
        for (auto& w : words) argv.push_back(w.data());
        app.parse(static_cast<int>(argv.size()), argv.data());
    }
    CLI::App app{"test", "ringpost"};
    std::string config_path;
    cli::AdminParser parser;
};

TEST(CommandTable, IsWellFormed) {
    std::set<std::string_view> groups;
    for (const CommandGroup& g : command_groups()) {
        EXPECT_TRUE(groups.insert(g.name).second) << "group listed twice: " << g.name;
        EXPECT_FALSE(g.help.empty()) << g.name;
    }
    std::set<std::string> paths;
    for (const CommandSpec& spec : commands()) {
        EXPECT_TRUE(paths.insert(path_of(spec)).second) << "command listed twice: " << path_of(spec);
        EXPECT_TRUE(groups.count(spec.group)) << path_of(spec) << ": its group is not in command_groups()";
        EXPECT_FALSE(spec.help.empty()) << path_of(spec);
        EXPECT_NE(spec.run, nullptr) << path_of(spec);
        for (size_t i = 0; i < spec.args.size(); ++i) {
            EXPECT_FALSE(spec.args[i].help.empty()) << path_of(spec) << " " << spec.args[i].name;
            if (spec.args[i].count == ArgSpec::Count::kRepeated) {   // operand_count_ok() relies on it
                EXPECT_EQ(i + 1, spec.args.size()) << path_of(spec) << ": a repeated argument must come last";
            }
        }
    }
    EXPECT_EQ(paths.size(), 18u);   // user 3, queue 12, mailbox 2, metrics
}

TEST(CommandTable, EveryCommandIsReachableFromTheCli) {
    for (const CommandSpec& spec : commands()) {
        CliParser cli;
        const std::vector<std::string> words = sample_words(spec);
        ASSERT_NO_THROW(cli.parse(words)) << path_of(spec);
        EXPECT_EQ(cli.parser.parsed(), &spec) << path_of(spec);
        EXPECT_EQ(cli.parser.words(), words) << path_of(spec);
        EXPECT_EQ(cli.parser.format(), OutputFormat::kText) << path_of(spec);
    }
}

TEST(CommandTable, EveryCommandTakesJsonOnTheCli) {
    for (const CommandSpec& spec : commands()) {
        const std::vector<std::string> words = sample_words(spec);
        CliParser cli;
        std::vector<std::string> with_json = words;
        with_json.insert(with_json.begin() + static_cast<long>(words_of(spec).size()), "--json");
        ASSERT_NO_THROW(cli.parse(with_json)) << path_of(spec);
        EXPECT_EQ(cli.parser.format(), OutputFormat::kJson) << path_of(spec);
        EXPECT_EQ(cli.parser.words(), words) << path_of(spec) << ": --json is no command word";
    }
}

TEST(CommandTable, CliRejectsAMissingArgument) {
    CliParser cli;
    EXPECT_THROW(cli.parse({"mailbox", "show", "a@example.test"}), CLI::RequiredError);
    CliParser extra;
    EXPECT_THROW(extra.parse({"queue", "list", "surplus"}), CLI::ParseError);
}

TEST(CommandTable, FindCommandAndSynopsis) {
    const CommandSpec* show = find_command({"queue", "show", "X"});
    ASSERT_NE(show, nullptr);
    EXPECT_EQ(synopsis(*show), "queue show ID");
    const CommandSpec* add = find_command({"user", "add"});
    ASSERT_NE(add, nullptr);
    EXPECT_EQ(synopsis(*add), "user add ADDRESS  (password on standard input)");
    EXPECT_EQ(find_command({"queue"}), nullptr);
    EXPECT_EQ(find_command({"queue", "frobnicate"}), nullptr);
    EXPECT_EQ(find_command({"show", "queue"}), nullptr);
    // A command without a name: the group's word alone.
    const CommandSpec* metrics = find_command({"metrics"});
    ASSERT_NE(metrics, nullptr);
    EXPECT_EQ(synopsis(*metrics), "metrics");
    EXPECT_EQ(command_word_count(*metrics), 1u);
    EXPECT_EQ(command_word_count(*show), 2u);
    EXPECT_TRUE(metrics->needs_server);
    EXPECT_FALSE(show->needs_server);
}

TEST(CommandTable, OperandCounts) {
    constexpr ArgSpec kArgs[] = {{"A", "a"}, {"B", "b", ArgSpec::Count::kOptional}};
    constexpr ArgSpec kMany[] = {{"A", "a"}, {"B", "b", ArgSpec::Count::kRepeated}};
    CommandSpec spec{"g", "c", "help", kArgs};
    EXPECT_FALSE(operand_count_ok(spec, 0));
    EXPECT_TRUE(operand_count_ok(spec, 1));
    EXPECT_TRUE(operand_count_ok(spec, 2));
    EXPECT_FALSE(operand_count_ok(spec, 3));
    EXPECT_EQ(synopsis(spec), "g c A [B]");
    spec.args = kMany;
    EXPECT_FALSE(operand_count_ok(spec, 0));
    EXPECT_TRUE(operand_count_ok(spec, 1));
    EXPECT_TRUE(operand_count_ok(spec, 5));
    EXPECT_EQ(synopsis(spec), "g c A [B...]");
}

TEST(CommandTable, HelpListsEveryCommand) {
    CliParser cli;
    const std::string top = cli.app.help();
    for (const CommandGroup& g : command_groups()) {
        EXPECT_THAT(top, HasSubstr(std::string(g.name))) << top;
        EXPECT_THAT(top, HasSubstr(std::string(g.help))) << top;
        const std::string group_help = cli.app.get_subcommand(std::string(g.name))->help();
        for (const CommandSpec& spec : commands()) {
            if (spec.group != g.name) continue;
            if (spec.name.empty()) {   // the group is the command
                EXPECT_THAT(group_help, HasSubstr(std::string(spec.help))) << group_help;
                continue;
            }
            EXPECT_THAT(group_help, HasSubstr(std::string(spec.name))) << group_help;
            EXPECT_THAT(group_help, HasSubstr(std::string(spec.help))) << group_help;
            const std::string own = cli.app.get_subcommand(std::string(g.name))
                                        ->get_subcommand(std::string(spec.name))->help();
            for (const ArgSpec& a : spec.args) {
                EXPECT_THAT(own, HasSubstr(std::string(a.name))) << own;
                EXPECT_THAT(own, HasSubstr(std::string(a.help))) << own;
            }
        }
    }
}

class CommandTableStore : public test::StoreFixture {
protected:
    int run(const std::vector<std::string>& args, std::string_view in = "") {
        out.clear();
        err.clear();
        return run_admin_command(*store, args, in, out, err);
    }
    std::string out, err;
};

// An operand count the table refuses: reaching the entry is what names its synopsis.
std::vector<std::string> wrong_count(const CommandSpec& spec) {
    std::vector<std::string> words = words_of(spec);
    bool unbounded = !spec.args.empty() && spec.args.back().count == ArgSpec::Count::kRepeated;
    if (unbounded) return words;   // too few (the table has a required argument before it)
    for (size_t i = 0; i <= spec.args.size(); ++i) words.push_back("extra");
    return words;
}

TEST_F(CommandTableStore, EveryCommandIsReachableFromRunAdminCommand) {
    for (const CommandSpec& spec : commands()) {
        EXPECT_EQ(run(wrong_count(spec)), kExitUsage) << path_of(spec);
        EXPECT_EQ(err, "ringpost: usage: ringpost " + synopsis(spec) + "\n");
        EXPECT_EQ(out, "");
    }
}

TEST_F(CommandTableStore, UnknownCommandsAsBefore) {
    EXPECT_EQ(run({}), kExitUsage);
    EXPECT_EQ(err, "ringpost: usage: ringpost user|queue|mailbox|metrics ...\n");
    EXPECT_EQ(run({"frobnicate", "list"}), kExitUsage);
    EXPECT_EQ(err, "ringpost: unknown admin command \"frobnicate\"\n");
    EXPECT_EQ(run({"queue"}), kExitUsage);
    EXPECT_EQ(err, "ringpost: usage: ringpost queue list|show|delete|flush|bounce|summary|suspend|resume|retry|stats|hold|release ...\n");
    EXPECT_EQ(run({"user", "frobnicate"}), kExitUsage);
    EXPECT_EQ(err, "ringpost: usage: ringpost user add|list|del ...\n");
    EXPECT_EQ(run({"mailbox"}), kExitUsage);
    EXPECT_EQ(err, "ringpost: usage: ringpost mailbox list|show ...\n");
}

// Every command on a read-only store (what the CLI opens when the table
// says the command does not write): the writing ones get as far as their
// write and are refused; the others succeed.
TEST_F(CommandTableStore, WritesFlagMatchesWhatTheCommandDoes) {
    const std::string user = "reader@example.test";
    ASSERT_EQ(run({"user", "add", user}, "pw\n"), kExitOk) << err;
    accept("Subject: kept\r\n\r\nbody\r\n", "s@example.test", user, true);
    const std::string qid = accept("Subject: queued\r\n\r\nbody\r\n", "s@example.test", "r@remote.example", false);
    auto listed = store->mailboxes().list_mailbox(user);
    ASSERT_TRUE(listed.ok() && listed->size() == 1);
    const std::string mid = listed->front().id;
    const std::map<std::string, std::vector<std::string>> samples = {
        {"user add", {"new@example.test"}}, {"user list", {}},          {"user del", {user}},
        {"queue list", {}},                 {"queue show", {qid}},      {"queue delete", {qid}},
        {"queue flush", {}},                {"queue bounce", {qid}},    {"queue stats", {}},
        {"mailbox list", {user}},           {"mailbox show", {user, mid}},
        {"queue summary", {}},              {"queue suspend", {"remote.example", "--for=1h"}},
        {"queue resume", {"remote.example"}}, {"queue retry", {"--domain=remote.example"}},
        {"queue hold", {qid, "--reason=checking"}}, {"queue release", {"--all="}},
        {"metrics", {}},
    };

    store.reset();
    store::StoreOptions options;
    options.path = dir.file("data");
    options.read_only = true;
    auto ro = store::Store::open(options);
    ASSERT_TRUE(ro.ok()) << ro.error().message;
    store = std::move(ro.value());

    for (const CommandSpec& spec : commands()) {
        auto sample = samples.find(path_of(spec));
        ASSERT_NE(sample, samples.end()) << "no sample operands for `" << path_of(spec) << "`: add them here";
        std::vector<std::string> words = words_of(spec);
        words.insert(words.end(), sample->second.begin(), sample->second.end());
        EXPECT_EQ(admin_command_writes(words), spec.writes) << path_of(spec);
        int code = run(words, "pw\n");
        if (spec.needs_server) {   // no server here (no AdminExtras::metrics): it says so
            EXPECT_EQ(code, kExitFailure) << path_of(spec);
            EXPECT_THAT(err, HasSubstr("needs the running server")) << path_of(spec);
        } else if (spec.writes) {
            EXPECT_EQ(code, kExitFailure) << path_of(spec) << ": " << out;
            EXPECT_THAT(err, HasSubstr("open read-only")) << path_of(spec);
        } else {
            EXPECT_EQ(code, kExitOk) << path_of(spec) << ": " << err;
        }
    }
}

TEST_F(CommandTableStore, OptionsTravelAsWordsAndUnknownOnesAreUsageErrors) {
    EXPECT_EQ(run({"queue", "suspend", "x.example", "--bogus=1"}), kExitUsage);
    EXPECT_NE(err.find("queue suspend TARGET [--for DURATION] [--reason TEXT]"), std::string::npos) << err;
    err.clear();
    EXPECT_EQ(run({"queue", "suspend", "x.example", "--for"}), kExitUsage) << "an option needs =VALUE";
    EXPECT_EQ(run({"queue", "suspend", "X.Example", "--for=2h", "--reason=asked to"}), kExitOk) << err;
    auto s = store->spool().suspensions();
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s->size(), 1u);
    EXPECT_EQ((*s)[0].target, "x.example");
    // 2 h from the next whole second: at least 7200 s after `since` (a whole second).
    EXPECT_GE((*s)[0].until - (*s)[0].since, 7200);
    EXPECT_LE((*s)[0].until - (*s)[0].since, 7201);
    EXPECT_EQ((*s)[0].reason, "asked to");
    EXPECT_EQ(run({"queue", "resume", "x.example"}), kExitOk) << err;
    EXPECT_EQ(run({"queue", "resume", "x.example"}), kExitFailure);
    EXPECT_TRUE(store->spool().suspensions()->empty());
}

// queue hold / release (postsuper -h / -H): IDs, --all (a flag: "--all="
// from the CLI) or --domain, one of them; a held message shows as held and
// is not due, release makes it due.
TEST_F(CommandTableStore, HoldAndReleaseByIdFlagAndDomain) {
    const std::string a = accept("Subject: a\r\n\r\nbody\r\n", "s@example.test", "r@remote.example", false);
    const std::string b = accept("Subject: b\r\n\r\nbody\r\n", "s@example.test", "r@other.example", false);
    EXPECT_EQ(run({"queue", "hold"}), kExitUsage) << "nothing named";
    EXPECT_EQ(run({"queue", "hold", a, "--all="}), kExitUsage) << "two ways at once";
    EXPECT_EQ(run({"queue", "hold", "00000000000000AA"}), kExitFailure);
    EXPECT_THAT(err, HasSubstr("no such queue ID"));
    EXPECT_EQ(run({"queue", "hold", a, "--reason=checking"}), kExitOk) << err;
    EXPECT_THAT(out, HasSubstr("held " + a + "\n"));
    EXPECT_EQ(run({"queue", "hold", a}), kExitOk) << err;
    EXPECT_THAT(out, HasSubstr(a + ": held already"));
    EXPECT_EQ(run({"queue", "list"}), kExitOk);
    EXPECT_THAT(out, HasSubstr("next=held attempts=0 held=\"checking (operator)\""));
    EXPECT_THAT(out, HasSubstr(", 1 held\n"));
    EXPECT_EQ(run({"queue", "show", a}), kExitOk);
    EXPECT_THAT(out, HasSubstr("held: checking (operator)\n"));
    EXPECT_EQ(run({"queue", "hold", "--domain=Other.Example"}), kExitOk) << err;
    EXPECT_THAT(out, HasSubstr("held " + b + "\n"));
    EXPECT_EQ(store->spool().stats()->held, 2u);
    EXPECT_EQ(run({"queue", "flush"}), kExitOk);
    EXPECT_THAT(out, HasSubstr("flushed 0 messages"));
    EXPECT_EQ(run({"queue", "release", b}), kExitOk) << err;
    EXPECT_THAT(out, HasSubstr("released " + b + "\n"));
    EXPECT_EQ(run({"queue", "release", "--all="}), kExitOk) << err;
    EXPECT_THAT(out, HasSubstr("released " + a + "\n-- released 1 message\n"));
    EXPECT_EQ(store->spool().stats()->held, 0u);
    EXPECT_FALSE(store->spool().get_envelope(a).value()->held);
}

// A command without a JSON renderer still answers a JSON caller with one
// document: its text output, byte-exact, under "output"; a failure gives
// nothing on `out`. (Every command of the table has a renderer: this is
// for a future one without.)
int text_only(const CommandCall& call) {
    call.out += "two\nlines \xff\n";
    if (call.operands.empty()) return kExitOk;
    call.err += "ringpost: failed\n";
    return kExitFailure;
}

TEST_F(CommandTableStore, JsonFormatWrapsTheTextOfCommandsWithoutARenderer) {
    constexpr ArgSpec kOptional[] = {{"X", "fail when given", ArgSpec::Count::kOptional}};
    const CommandSpec spec{"test", "text", "a text-only command", kOptional, false, CommandInput::kNone, text_only};
    ASSERT_FALSE(spec.renders_json);
    std::string text, text_err, json, json_err;
    ASSERT_EQ(run_command(spec, *store, AdminExtras{}, {}, "", text, text_err), kExitOk);
    ASSERT_EQ(run_command(spec, *store, AdminExtras{}, {}, "", json, json_err, OutputFormat::kJson), kExitOk);
    EXPECT_EQ(text, "two\nlines \xff\n");
    EXPECT_EQ(nlohmann::json::parse(json).at("output").get<std::string>(), "two\nlines \xef\xbf\xbd\n")
        << "bytes that are not UTF-8 become U+FFFD";

    json.clear();
    EXPECT_EQ(run_command(spec, *store, AdminExtras{}, {"fail"}, "", json, json_err, OutputFormat::kJson), kExitFailure);
    EXPECT_EQ(json, "");
    EXPECT_EQ(json_err, "ringpost: failed\n");
}

// Inside the server (AdminExtras::metrics set) `metrics` prints the
// registry's exposition; text only, as GET /metrics serves it.
TEST_F(CommandTableStore, MetricsPrintsTheServersRegistry) {
    metrics::Registry registry;
    registry.counter("t_admin_total", "counted", {"kind"}).with({"a"}).inc(3);
    AdminExtras extras;
    extras.metrics = &registry;
    EXPECT_EQ(run_admin_command(*store, extras, {"metrics"}, "", out, err), kExitOk) << err;
    EXPECT_EQ(out, registry.render_text());
    EXPECT_THAT(out, HasSubstr("t_admin_total{kind=\"a\"} 3\n"));
    EXPECT_EQ(find_command({"metrics"})->renders_json, false);
}

}  // namespace
}  // namespace ringpost::admin
