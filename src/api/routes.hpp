// Every HTTP route of `ringpost serve`, in one table (routes.cpp): a new
// feature (injection, /metrics, the status page) is one add() line there
// and its handler beside it in src/api.
#pragma once

#include "admin/admin.hpp"
#include "http/router.hpp"
#include "io/blocking_pool.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::api {

class AdminApi;

// What the handlers work with; outlives the router.
struct Services {
    AdminApi* admin = nullptr;
};

void add_routes(http::Router& router, Services& services);

}  // namespace ringpost::api
