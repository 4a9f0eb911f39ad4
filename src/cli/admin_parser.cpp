// AdminParser: the table's commands as CLI11 subcommands (admin_parser.hpp).
#include "cli/admin_parser.hpp"

namespace ringpost::cli {

using admin::ArgSpec;

AdminParser::AdminParser(CLI::App& app, const Configure& configure) {
    for (const admin::CommandGroup& g : admin::command_groups()) {
        CLI::App* group = configure(app.add_subcommand(std::string(g.name), std::string(g.help)));
        // A command without a name is the group's word itself (`ringpost metrics`).
        const admin::CommandSpec* alone = admin::find_command({std::string(g.name)});
        if (alone && alone->name.empty()) {
            bind(group, *alone);
            continue;
        }
        group->require_subcommand(1);
        for (const admin::CommandSpec& spec : admin::commands())
            if (spec.group == g.name)
                bind(configure(group->add_subcommand(std::string(spec.name), std::string(spec.help))), spec);
    }
}

void AdminParser::bind(CLI::App* app, const admin::CommandSpec& spec) {
    auto b = std::make_unique<Bound>();
    b->spec = &spec;
    b->app = app;
    // Sized once: CLI11 keeps pointers to these strings.
    b->values.resize(spec.args.size());
    b->lists.resize(spec.args.size());
    for (size_t i = 0; i < spec.args.size(); ++i) {
        const ArgSpec& a = spec.args[i];
        CLI::Option* opt = a.count == ArgSpec::Count::kRepeated
                               ? b->app->add_option(std::string(a.name), b->lists[i], std::string(a.help))
                               : b->app->add_option(std::string(a.name), b->values[i], std::string(a.help));
        if (a.count == ArgSpec::Count::kRequired) opt->required();
        b->options.push_back(opt);
    }
    b->option_values.resize(spec.options.size());
    for (size_t i = 0; i < spec.options.size(); ++i) {
        const admin::OptionSpec& o = spec.options[i];
        const std::string name = "--" + std::string(o.name), help(o.help);
        // A flag's value stays "": its word is "--NAME=".
        b->named.push_back(o.flag ? b->app->add_flag(name, help)
                                  : b->app->add_option(name, b->option_values[i], help)->type_name(std::string(o.value)));
    }
    b->app->add_flag("--json", b->json, "print the result as one JSON document (docs/CLI.md)");
    bound_.push_back(std::move(b));
}

const AdminParser::Bound* AdminParser::parsed_bound() const {
    for (const auto& b : bound_)
        if (b->app->parsed()) return b.get();
    return nullptr;
}

const admin::CommandSpec* AdminParser::parsed() const {
    const Bound* b = parsed_bound();
    return b ? b->spec : nullptr;
}

admin::OutputFormat AdminParser::format() const {
    const Bound* b = parsed_bound();
    return b && b->json ? admin::OutputFormat::kJson : admin::OutputFormat::kText;
}

std::vector<std::string> AdminParser::words() const {
    const Bound* b = parsed_bound();
    if (!b) return {};
    std::vector<std::string> words{std::string(b->spec->group)};
    if (!b->spec->name.empty()) words.push_back(std::string(b->spec->name));
    for (size_t i = 0; i < b->spec->args.size(); ++i) {
        switch (b->spec->args[i].count) {
            case ArgSpec::Count::kRequired: words.push_back(b->values[i]); break;
            case ArgSpec::Count::kOptional:
                if (b->options[i]->count() > 0) words.push_back(b->values[i]);
                break;
            case ArgSpec::Count::kRepeated:
                words.insert(words.end(), b->lists[i].begin(), b->lists[i].end());
                break;
        }
    }
    for (size_t i = 0; i < b->spec->options.size(); ++i)
        if (b->named[i]->count() > 0) words.push_back("--" + std::string(b->spec->options[i].name) + "=" + b->option_values[i]);
    return words;
}

}  // namespace ringpost::cli
