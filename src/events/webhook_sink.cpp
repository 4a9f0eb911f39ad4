// The webhook sink: a batch is one POST of JSON lines
// (application/x-ndjson); only a 2xx takes it.
#include "events/http_client.hpp"
#include "events/sink.hpp"

namespace ringpost::events {
namespace {

class WebhookSink final : public Sink {
public:
    WebhookSink(const WebhookOptions& options, Url url, io::BlockingPool& pool, std::shared_ptr<tls::ClientContext> tls)
        : options_(options),
          name_("webhook:" + options.name),
          url_(std::move(url)),
          client_(pool, std::move(tls)),
          backoff_(std::chrono::milliseconds(options.retry_initial_ms), std::chrono::milliseconds(options.retry_max_ms)) {}

    const std::string& name() const override { return name_; }
    size_t batch_size() const override { return options_.batch_size; }
    std::chrono::milliseconds max_batch_delay() const override {
        return std::chrono::milliseconds(options_.max_batch_delay_ms);
    }
    Backoff& backoff() override { return backoff_; }

    io::Task<Result<void>> deliver(const std::vector<store::LoggedEvent>& events, io::CancelSlot* slot) override {
        HttpPost post;
        post.url = url_;
        post.headers = options_.headers;
        post.content_type = "application/x-ndjson";
        post.body = json_lines(events);
        post.timeout = io::Duration(options_.timeout_ms);
        auto reply = co_await client_.post(post, slot);
        if (!reply) co_return reply.error();
        if (reply->status < 200 || reply->status > 299) {
            std::string text = reply->body.substr(0, 200);
            for (char& c : text)
                if (c == '\r' || c == '\n') c = ' ';
            co_return make_error("HTTP " + std::to_string(reply->status) + (text.empty() ? "" : ": " + text));
        }
        co_return Result<void>{};
    }

private:
    WebhookOptions options_;
    std::string name_;
    Url url_;
    HttpClient client_;
    Backoff backoff_;
};

}  // namespace

std::string json_lines(const std::vector<store::LoggedEvent>& events) {
    size_t n = 0;
    for (const auto& e : events) n += e.json.size() + 1;
    std::string body;
    body.reserve(n);
    for (const auto& e : events) {
        body += e.json;
        body += '\n';
    }
    return body;
}

std::unique_ptr<Sink> make_webhook_sink(const WebhookOptions& options, io::BlockingPool& pool,
                                        std::shared_ptr<tls::ClientContext> tls) {
    auto url = parse_url(options.url);
    if (!url) return nullptr;   // the configuration checked it
    return std::make_unique<WebhookSink>(options, std::move(url).value(), pool, std::move(tls));
}

}  // namespace ringpost::events
