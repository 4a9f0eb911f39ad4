// The Router: (method, path or path prefix) -> a handler coroutine, each
// route with the access it needs. Every HTTP feature lives behind one
// add() call in the server's route table (src/api/routes.cpp).
//
// Access (docs/HTTP.md):
//   kApi         with a tokens file, a valid "Authorization: Bearer TOKEN"
//                (else 401 with WWW-Authenticate: Bearer); without one, a
//                client in [relay] relay_networks (else 403)
//   kMonitoring  read-only views (/metrics, the status page): a client in
//                relay_networks, or anyone with a valid token
//
// dispatch() answers what no handler sees: 501 for a method this server
// does not know, 404 for a path no route serves, 405 (with Allow) for a
// known path and the wrong method, 401/403 by the rules above, and 500
// when a handler throws. HEAD is served by a GET route without the body.
// An exact path beats a prefix, and a longer prefix a shorter one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "http/tokens.hpp"
#include "io/task.hpp"

namespace ringpost::http {

enum class Access : unsigned char { kApi, kMonitoring };

// Who is asking: the connection's client, and what the access check
// found (the token's name when one was valid).
struct Caller {
    std::string ip;
    uint16_t port = 0;
    bool tls = false;
    bool trusted = false;    // in [relay] relay_networks
    std::string token;       // the name of the valid token presented, if any
};

using Handler = std::function<io::Task<Response>(const Request&, const Caller&)>;

class Router {
public:
    // tokens: the tokens file's current set; null = no tokens file (the
    // relay_networks rule). Both outlive the router.
    explicit Router(const TokenHolder* tokens = nullptr) : tokens_(tokens) {}

    // One route; returns *this, so a table reads as a chain of add()s.
    Router& add(Method method, std::string path, Access access, Handler handler);
    // A route for every path that starts with `prefix` ("/api/v1/").
    Router& add_prefix(Method method, std::string prefix, Access access, Handler handler);

    // The route's answer, or the refusal (see above). `caller.token` is set
    // when the request carried a valid token. Await as a named local.
    io::Task<Response> dispatch(const Request& request, Caller& caller) const;

    // The access check alone: 0 when allowed, else 401 or 403.
    int check_access(Access access, const Request& request, Caller& caller) const;

private:
    struct Route {
        Method method;
        std::string path;
        bool prefix;
        Access access;
        Handler handler;
    };
    // The best route for the path and method, or null; `allow` lists the
    // methods of every route on the path (for 405).
    const Route* find(std::string_view path, Method method, std::string& allow) const;

    std::vector<Route> routes_;
    const TokenHolder* tokens_;
};

// The token of "Authorization: Bearer TOKEN" (RFC 6750 2.1), or "".
std::string_view bearer_token(const Request& request);

}  // namespace ringpost::http
