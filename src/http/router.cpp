// Route lookup, the access rules and the refusals (router.hpp).
#include "http/router.hpp"

#include <exception>
#include <utility>

#include "util/ascii.hpp"
#include "util/log.hpp"

namespace ringpost::http {
namespace {

// How well a route fits the path: 0 = not at all; an exact path beats
// any prefix, a longer prefix a shorter one.
size_t fit(std::string_view route_path, bool prefix, std::string_view path) {
    if (!prefix) return route_path == path ? SIZE_MAX : 0;
    return path.starts_with(route_path) ? route_path.size() : 0;
}

void add_allowed(std::string& allow, Method m) {
    const std::string_view name = method_name(m);
    if (allow.find(name) != std::string::npos) return;
    if (!allow.empty()) allow += ", ";
    allow += name;
}

}  // namespace

Router& Router::add(Method method, std::string path, Access access, Handler handler) {
    routes_.push_back(Route{method, std::move(path), false, access, std::move(handler)});
    return *this;
}

Router& Router::add_prefix(Method method, std::string prefix, Access access, Handler handler) {
    routes_.push_back(Route{method, std::move(prefix), true, access, std::move(handler)});
    return *this;
}

const Router::Route* Router::find(std::string_view path, Method method, std::string& allow) const {
    const Route* best = nullptr;
    size_t best_fit = 0;
    for (const Route& r : routes_) {
        const size_t f = fit(r.path, r.prefix, path);
        if (f == 0) continue;
        add_allowed(allow, r.method);
        if (r.method == Method::kGet) add_allowed(allow, Method::kHead);
        const bool serves = r.method == method || (method == Method::kHead && r.method == Method::kGet);
        if (serves && f > best_fit) {
            best = &r;
            best_fit = f;
        }
    }
    return best;
}

std::string_view bearer_token(const Request& request) {
    const std::string* auth = request.headers.find("Authorization");
    if (!auth) return {};
    std::string_view v = *auth;
    constexpr std::string_view kScheme = "bearer ";
    if (v.size() <= kScheme.size() || util::ascii_lower(v.substr(0, kScheme.size())) != kScheme) return {};
    v.remove_prefix(kScheme.size());
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
}

int Router::check_access(Access access, const Request& request, Caller& caller) const {
    const std::shared_ptr<const TokenSet> tokens = tokens_ ? tokens_->get() : nullptr;
    if (tokens) {
        const std::string_view presented = bearer_token(request);
        if (const std::string* name = presented.empty() ? nullptr : tokens->match(presented)) {
            caller.token = *name;
            return 0;
        }
    }
    if (access == Access::kMonitoring && caller.trusted) return 0;
    if (access == Access::kApi && !tokens && caller.trusted) return 0;
    return tokens ? 401 : 403;
}

io::Task<Response> Router::dispatch(const Request& request, Caller& caller) const {
    if (request.method == Method::kUnknown)
        co_return Response::error(501, "method " + request.method_text + " is not implemented");
    std::string allow;
    const Route* route = find(request.path, request.method, allow);
    if (!route && allow.empty()) co_return Response::error(404, "no such resource: " + request.path);
    if (!route) {
        Response r = Response::error(405, "method " + request.method_text + " is not allowed here");
        r.headers.add("Allow", allow);
        co_return r;
    }
    if (const int refused = check_access(route->access, request, caller); refused != 0) {
        Response r = Response::error(refused, refused == 401 ? "a valid bearer token is required"
                                                             : "your address may not use this resource");
        if (refused == 401) r.headers.add("WWW-Authenticate", "Bearer");
        co_return r;
    }
    std::string failure;
    try {
        auto handling = route->handler(request, caller);
        co_return co_await std::move(handling);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    log::warn("http_handler_failed", {{"path", request.path}, {"client", caller.ip}, {"error", failure}});
    co_return Response::error(500, "internal error");
}

}  // namespace ringpost::http
