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

class InjectionApi;
class MonitoringApi;
class CallerRates;

// What the handlers work with; outlives the router. Each worker has its own
// router: the shared services, plus its own injection (which accepts mail
// through the worker's policy and spool, on the worker's ring).
struct Services {
    AdminApi* admin = nullptr;
    const http::TokenHolder* tokens = nullptr;   // the router's: null without a tokens file
    CallerRates* rates = nullptr;                // [http] max_message_rate, all workers
    InjectionApi* injection = nullptr;           // the worker's; null = no injection route
    MonitoringApi* monitoring = nullptr;         // /metrics, the status page and its JSON
};

void add_routes(http::Router& router, Services& services);

}  // namespace ringpost::api
