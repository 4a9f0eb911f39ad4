// The admin API (admin_api.hpp): requests to command-table calls and
// their exit codes to HTTP answers.
#include "api/admin_api.hpp"

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <string.h>

#include "util/log.hpp"

namespace ringpost::api {
namespace {

using nlohmann::json;

std::string_view count_name(admin::ArgSpec::Count c) {
    switch (c) {
        case admin::ArgSpec::Count::kRequired: return "required";
        case admin::ArgSpec::Count::kOptional: return "optional";
        case admin::ArgSpec::Count::kRepeated: return "repeated";
    }
    return "required";
}

bool takes_option(const admin::CommandSpec& spec, std::string_view name) {
    for (const admin::OptionSpec& o : spec.options)
        if (o.name == name) return true;
    return false;
}

// "ringpost: no such user: x\n" -> "no such user: x"
std::string error_text(std::string_view err) {
    constexpr std::string_view kPrefix = "ringpost: ";
    if (err.starts_with(kPrefix)) err.remove_prefix(kPrefix.size());
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.remove_suffix(1);
    return std::string(err.empty() ? std::string_view("command failed") : err);
}

// The status of an operational failure, from the handlers' messages
// (admin/*.cpp): a missing object is 404, an existing one 409.
int failure_status(std::string_view text) {
    for (std::string_view missing : {"no such ", "no message ", "no suspension of "})
        if (text.starts_with(missing)) return 404;
    if (text.find("already exists") != std::string_view::npos) return 409;
    return 500;
}

}  // namespace

std::string commands_json() {
    json list = json::array();
    for (const admin::CommandSpec& c : admin::commands()) {
        json args = json::array();
        for (const admin::ArgSpec& a : c.args)
            args.push_back({{"name", a.name}, {"help", a.help}, {"count", count_name(a.count)}});
        json options = json::array();
        for (const admin::OptionSpec& o : c.options)
            options.push_back({{"name", o.name}, {"value", o.value}, {"help", o.help}, {"flag", o.flag}});
        list.push_back({{"group", c.group},
                        {"name", c.name},
                        {"help", c.help},
                        {"args", std::move(args)},
                        {"options", std::move(options)},
                        {"writes", c.writes},
                        {"method", c.writes ? "POST" : "GET"},
                        {"password", c.input == admin::CommandInput::kNewPassword}});
    }
    return json{{"commands", std::move(list)}}.dump(2);
}

const admin::CommandSpec* command_for_path(std::string_view path) {
    if (!path.starts_with(kAdminPrefix)) return nullptr;
    path.remove_prefix(kAdminPrefix.size());
    const size_t slash = path.find('/');
    if (slash == std::string_view::npos) return nullptr;
    const std::string_view name = path.substr(slash + 1);
    if (name.empty() || name.find('/') != std::string_view::npos) return nullptr;
    return admin::find_command({std::string(path.substr(0, slash)), std::string(name)});
}

Result<CommandRequest> request_from_query(const admin::CommandSpec& spec, const http::Request& request) {
    CommandRequest r{&spec, {}, {}};
    std::vector<std::string> options;
    for (const auto& [name, value] : request.query) {
        if (name == "arg") r.operands.push_back(value);
        else if (takes_option(spec, name)) options.push_back("--" + name + "=" + value);
        else return make_error("unknown parameter \"" + name + "\" (arguments are arg=VALUE, options NAME=VALUE)");
    }
    r.operands.insert(r.operands.end(), options.begin(), options.end());
    return r;
}

Result<CommandRequest> request_from_body(const admin::CommandSpec& spec, std::string_view body) {
    CommandRequest r{&spec, {}, {}};
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return r;   // no body: no arguments
    const json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return make_error("the body is not a JSON object");
    std::vector<std::string> options;
    for (const auto& [key, value] : doc.items()) {
        if (key == "args" && value.is_array()) {
            for (const json& a : value) {
                if (!a.is_string()) return make_error("\"args\" holds strings only");
                r.operands.push_back(a.get<std::string>());
            }
        } else if (key == "options" && value.is_object()) {
            for (const auto& [name, v] : value.items()) {
                if (!v.is_string() || !takes_option(spec, name))
                    return make_error("unknown option \"" + name + "\" (or its value is not a string)");
                options.push_back("--" + name + "=" + v.get<std::string>());
            }
        } else if (key == "password" && value.is_string() && spec.input == admin::CommandInput::kNewPassword) {
            r.input = value.get<std::string>() + "\n";
        } else {
            return make_error("unexpected member \"" + key + "\" (expected args, options" +
                              (spec.input == admin::CommandInput::kNewPassword ? ", password)" : ")"));
        }
    }
    r.operands.insert(r.operands.end(), options.begin(), options.end());
    return r;
}

http::Response command_response(int exit_code, std::string out, std::string_view err) {
    if (exit_code == admin::kExitOk) return http::Response::json(200, std::move(out));
    const std::string text = error_text(err);
    const int status = exit_code == admin::kExitUsage ? 400 : failure_status(text);
    return http::Response::error(status, text);
}

io::Task<http::Response> AdminApi::commands(const http::Request&, const http::Caller&) {
    co_return http::Response::json(200, commands_json());
}

io::Task<http::Response> AdminApi::run(const http::Request& request, const http::Caller& caller) {
    const admin::CommandSpec* spec = command_for_path(request.path);
    if (!spec) co_return http::Response::error(404, "no such command: " + request.path);
    const bool post = request.method == http::Method::kPost;
    if (post != spec->writes) {
        http::Response r = http::Response::error(
            405, std::string(spec->group) + " " + std::string(spec->name) +
                     (spec->writes ? " changes the store: use POST" : " only reads: use GET"));
        r.headers.add("Allow", spec->writes ? "POST" : "GET, HEAD");
        co_return r;
    }
    Result<CommandRequest> call = post ? request_from_body(*spec, request.body) : request_from_query(*spec, request);
    if (!call) co_return http::Response::error(400, call.error().message);
    struct Outcome {
        int code = admin::kExitFailure;
        std::string out, err;
    };
    CommandRequest& c = call.value();
    store::Store& store = store_;
    const admin::AdminExtras& extras = extras_;
    auto work = [&c, &store, &extras] {
        Outcome o;
        std::optional<std::lock_guard<std::mutex>> serial;
        if (extras.serial) serial.emplace(*extras.serial);
        o.code = admin::run_command(*c.spec, store, extras, c.operands, c.input, o.out, o.err, admin::OutputFormat::kJson);
        explicit_bzero(c.input.data(), c.input.size());
        return o;
    };
    auto running = pool_.run(work);
    Result<Outcome> done = co_await std::move(running);
    if (!done) {
        log::warn("http_admin_failed", {{"client", caller.ip}, {"path", request.path}, {"error", done.error().message}});
        co_return http::Response::error(done.error().code == io::BlockingPool::kBusy ? 503 : 500, done.error().message);
    }
    log::info("admin_command", {{"cmd", std::string(spec->group) + " " + std::string(spec->name)},
                                {"exit", done->code}, {"via", "http"}, {"client", caller.ip}});
    co_return command_response(done->code, std::move(done->out), done->err);
}

}  // namespace ringpost::api
