// The exact Prometheus text of a small registry: HELP and TYPE lines,
// escaping, histogram series, family and child order.
#include <gtest/gtest.h>

#include "metrics/registry.hpp"

using namespace ringpost::metrics;

namespace {

TEST(MetricsExposition, ExactTextOfASmallRegistry) {
    Registry r;
    CounterFamily& replies = r.counter("t_replies_total", "SMTP replies by class", {"class"});
    replies.with({"2xx"}).inc(3);
    replies.with({"5xx"}).inc();
    Histogram batch = r.histogram("t_batch_size", "messages per commit", {}, {1, 4, 16}).with({});
    batch.observe(1);
    batch.observe(3);
    batch.observe(40);
    Collector g = r.gauge("t_queue_messages", "waiting", {}, [](GaugeWriter& w) { w.set({}, 12); });
    EXPECT_EQ(r.render_text(),
              "# HELP t_batch_size messages per commit\n"
              "# TYPE t_batch_size histogram\n"
              "t_batch_size_count 3\n"
              "t_batch_size_sum 44\n"
              "t_batch_size_bucket{le=\"1\"} 1\n"
              "t_batch_size_bucket{le=\"4\"} 2\n"
              "t_batch_size_bucket{le=\"16\"} 2\n"
              "t_batch_size_bucket{le=\"+Inf\"} 3\n"
              "# HELP t_queue_messages waiting\n"
              "# TYPE t_queue_messages gauge\n"
              "t_queue_messages 12\n"
              "# HELP t_replies_total SMTP replies by class\n"
              "# TYPE t_replies_total counter\n"
              "t_replies_total{class=\"2xx\"} 3\n"
              "t_replies_total{class=\"5xx\"} 1\n");
}

TEST(MetricsExposition, EscapesHelpAndLabelValues) {
    Registry r;
    r.counter("t_esc_total", "a \\ back\nslash", {"site"}).with({"q\"uote\\d\nline"}).inc();
    EXPECT_EQ(r.render_text(),
              "# HELP t_esc_total a \\\\ back\\nslash\n"
              "# TYPE t_esc_total counter\n"
              "t_esc_total{site=\"q\\\"uote\\\\d\\nline\"} 1\n");
}

TEST(MetricsExposition, FractionalBoundsAndSumsInSeconds) {
    Registry r;
    Histogram h = r.histogram("t_fsync_seconds", "fsync", {"stage"}, {250, 1000}, 1e6).with({"commit"});
    h.observe(100);
    h.observe(2000);
    EXPECT_EQ(r.render_text(),
              "# HELP t_fsync_seconds fsync\n"
              "# TYPE t_fsync_seconds histogram\n"
              "t_fsync_seconds_count{stage=\"commit\"} 2\n"
              "t_fsync_seconds_sum{stage=\"commit\"} 0.0021\n"
              "t_fsync_seconds_bucket{stage=\"commit\",le=\"0.00025\"} 1\n"
              "t_fsync_seconds_bucket{stage=\"commit\",le=\"0.001\"} 1\n"
              "t_fsync_seconds_bucket{stage=\"commit\",le=\"+Inf\"} 2\n");
}

}  // namespace
