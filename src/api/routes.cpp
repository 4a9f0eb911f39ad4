// The route table (routes.hpp). An exact path beats a prefix (router.hpp),
// so /api/v1/commands and the routes to come (POST /api/v1/messages) go
// before the command prefix without shadowing it or being shadowed.
#include "api/routes.hpp"

#include "api/admin_api.hpp"
#include "api/injection_api.hpp"
#include "api/monitoring.hpp"

namespace ringpost::api {

void add_routes(http::Router& router, Services& services) {
    using http::Access;
    using http::Method;
    AdminApi& admin = *services.admin;
    auto bind = [](AdminApi& a, io::Task<http::Response> (AdminApi::*fn)(const http::Request&, const http::Caller&)) {
        return [&a, fn](const http::Request& r, const http::Caller& c) { return (a.*fn)(r, c); };
    };
    if (InjectionApi* injection = services.injection)
        router.add(Method::kPost, "/api/v1/messages", Access::kApi,
                   [injection](const http::Request& r, const http::Caller& c) { return injection->inject(r, c); });
    if (MonitoringApi* m = services.monitoring) {
        auto on = [m](io::Task<http::Response> (MonitoringApi::*fn)(const http::Request&, const http::Caller&)) {
            return [m, fn](const http::Request& r, const http::Caller& c) { return (m->*fn)(r, c); };
        };
        router.add(Method::kGet, "/metrics", Access::kMonitoring, on(&MonitoringApi::metrics))
            .add(Method::kGet, "/", Access::kMonitoring, on(&MonitoringApi::status_page))
            .add(Method::kGet, "/api/v1/status", Access::kMonitoring, on(&MonitoringApi::status));
    }
    router.add(Method::kGet, "/api/v1/commands", Access::kApi, bind(admin, &AdminApi::commands))
        .add_prefix(Method::kGet, std::string(kAdminPrefix), Access::kApi, bind(admin, &AdminApi::run))
        .add_prefix(Method::kPost, std::string(kAdminPrefix), Access::kApi, bind(admin, &AdminApi::run));
}

}  // namespace ringpost::api
