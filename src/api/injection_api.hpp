// POST /api/v1/messages: the injection API (docs/HTTP.md "Injection").
// The body (injection_request.hpp) becomes messages, the Injector accepts
// them as SMTP would, and the answer comes once they are durable:
//
//   200 {"success_count": accepted recipients, "fail_count": refused ones,
//        "messages": [{"queue_id": ..., "recipients": [...]}],
//        "failed_recipients": [{"recipient", "code", "enhanced_code", "reply"}],
//        "failed_messages": [{"recipients", "code", "enhanced_code", "reply"}]}
//        when at least one message was accepted;
//   400 a malformed request; 413 over [smtp] max_message_size; 422 when
//   every recipient was refused for good (5xx); 429 over the caller's
//   [http] max_message_rate (Retry-After); 503 when nothing could be
//   accepted now (store full, shutting down, a write error; Retry-After).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "api/injection_request.hpp"
#include "api/injector.hpp"
#include "delivery/rate.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "io/task.hpp"

namespace ringpost::api {

// The [http] max_message_rate of each caller (a token's name, else the
// client address), shared by all workers: a token bucket per caller that
// holds one period's messages ("600/min": up to 600 at once, refilled at
// 10/s), so a batch request may use what the rate allows in a period.
class CallerRates {
public:
    using Clock = std::chrono::steady_clock;
    explicit CallerRates(delivery::Rate rate) : rate_(rate) {}
    // Takes `messages` for `caller` at `now`: 0 when allowed, else the
    // seconds (at least 1) until they would be; -1 when they never fit
    // (more than one period's messages in one request).
    int64_t take(const std::string& caller, size_t messages, Clock::time_point now);
    bool unlimited() const { return rate_.unlimited(); }
    // Callers with a bucket now (tests).
    size_t callers();

private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point last;
    };
    // At most once per min(period, kPruneEvery), from take(): forgets the
    // buckets that have refilled by `now`, as a fresh one would be, so the
    // map holds only the callers of about the last period. mu_ held.
    void prune(Clock::time_point now, double per_second);
    static constexpr std::chrono::seconds kPruneEvery{60};

    delivery::Rate rate_;
    std::mutex mu_;
    std::map<std::string, Bucket, std::less<>> buckets_;
    Clock::time_point next_prune_{};
};

// The HTTP answer to a request's results (pure, for the tests).
// `recipients`: each message's, as given (for those refused as a whole).
http::Response injection_response(const std::vector<std::vector<std::string>>& recipients,
                                  const std::vector<InjectionResult>& results);

class InjectionApi {
public:
    // `injector`: the worker's own (its policy and spool); `rates` shared.
    InjectionApi(Injector& injector, InjectionLimits limits, CallerRates* rates)
        : injector_(injector), limits_(limits), rates_(rates) {}

    io::Task<http::Response> inject(const http::Request& request, const http::Caller& caller);

private:
    Injector& injector_;
    InjectionLimits limits_;
    CallerRates* rates_;
    uint64_t boundary_seed_ = 0;
};

}  // namespace ringpost::api
