// The one table of administration commands. Every front end works from it:
// the CLI builds its CLI11 subcommands from it (src/cli/admin_parser.cpp),
// run_admin_command() dispatches through it (the admin socket and the CLI's
// direct path), and admin_command_writes() reads its `writes` flag. A new
// front end (an HTTP API) lists commands(), shows their arguments and help,
// and runs one with run_command(). Adding a command = one entry in
// command_table.cpp plus its handler.
#pragma once

#include <map>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringpost::store {
class Store;
}

namespace ringpost::admin {

struct AdminExtras;

// One positional argument.
struct ArgSpec {
    enum class Count { kRequired, kOptional, kRepeated };   // exactly one, zero or one, zero or more
    std::string_view name;   // upper case, as shown in usage: "ADDRESS", "ID"
    std::string_view help;
    Count count = Count::kRequired;
};

// One option, given as --NAME VALUE on the command line and carried to the
// handler as the word "--NAME=VALUE" after the positional arguments. A
// flag takes no value: --NAME alone, carried as "--NAME=" (the HTTP API:
// NAME=1, or "NAME": "1" in the body); the handler asks whether it is there.
struct OptionSpec {
    std::string_view name;    // "for" (--for)
    std::string_view value;   // "DURATION", as shown in usage; "" for a flag
    std::string_view help;
    bool flag = false;
};
using Options = std::map<std::string, std::string, std::less<>>;   // name -> value, as given

// What a command reads besides its arguments.
enum class CommandInput {
    kNone,
    kNewPassword,   // a new password, first line of standard input (never an argument: `ps` would show it)
};

// How a command's output is written: the CLI's text (tables, one item per
// line), or one JSON document for the HTTP API and `--json`.
enum class OutputFormat { kText, kJson };

// What a handler gets. `operands` are the positional arguments after the
// command path, their count already checked against the ArgSpecs.
struct CommandCall {
    store::Store& store;
    const AdminExtras& extras;
    const std::vector<std::string>& operands;
    const Options& options;   // the options given (OptionSpec)
    std::string_view input;   // standard input (CommandInput)
    std::string& out;         // appended: the command's output, byte-exact
    std::string& err;         // appended: one-line messages "ringpost: ..."
    OutputFormat format = OutputFormat::kText;   // kJson only for specs with renders_json
};
using CommandHandler = int (*)(const CommandCall& call);   // returns the exit code (admin.hpp)

struct CommandGroup {
    std::string_view name;   // "queue"
    std::string_view help;
};

struct CommandSpec {
    std::string_view group;            // "queue"
    // "flush"; empty: the group's word alone is the command (`ringpost
    // metrics`), and the group has no other command.
    std::string_view name;
    std::string_view help;             // one line
    std::span<const ArgSpec> args;
    bool writes = false;               // modifies the store: the CLI's direct path opens it read-write
    CommandInput input = CommandInput::kNone;
    CommandHandler run = nullptr;
    std::span<const OptionSpec> options = {};
    // The handler writes one JSON document to `out` when call.format is
    // kJson. Without it, run_command() wraps the text: {"output": "..."}.
    bool renders_json = false;
    // Shows the running server's state, not the store's: the CLI's direct
    // path (no server answered) refuses it instead of opening the store.
    bool needs_server = false;
};

// In the order help lists them.
std::span<const CommandGroup> command_groups();
std::span<const CommandSpec> commands();

// The command named by words[0] (group) and words[1] (name), or by
// words[0] alone for a command without a name; null if none.
const CommandSpec* find_command(const std::vector<std::string>& words);
// How many of a command's words name it: 1 without a name, else 2.
size_t command_word_count(const CommandSpec& spec);
// Its message when a needs_server command cannot reach the server.
std::string needs_server_message(const CommandSpec& spec);
// "queue show ID", "user add ADDRESS  (password on standard input)": the
// text of a usage error.
std::string synopsis(const CommandSpec& spec);
// Whether `n` operands fit the command's ArgSpecs.
bool operand_count_ok(const CommandSpec& spec, size_t n);

// Splits the "--NAME=VALUE" words off the operands (an option the command
// does not take is a usage error), checks the operand count, then runs the
// handler; a wrong count is a usage error naming the synopsis (exit 2).
int run_command(const CommandSpec& spec, store::Store& store, const AdminExtras& extras,
                const std::vector<std::string>& operands, std::string_view input, std::string& out,
                std::string& err, OutputFormat format = OutputFormat::kText);

}  // namespace ringpost::admin
