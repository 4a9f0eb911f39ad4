"""Traffic shaping per destination site (issue 13 item 2; docs/BULK.md), against sinks on loopback and
MX records from dnsmasq: domains with the same MX hosts are one site (MX rollup) and share its
connection limit; a [shaping.sites] rule by MX host pattern makes one site of several providers'
hosts; a site's message rate and connection rate hold however much mail is queued, while other
sites' mail goes on at once (no head-of-line blocking); a connection that would idle longer than
its idle time for the site's pace is closed and opened again when mail is due.

Rates are checked as lower bounds on elapsed time only (a limiter must never let mail through
faster); the machine's speed never decides a result. The bounds leave JITTER for what the sink's
clock adds: a pass is taken before the connection or transaction it allows, so the first one seen
may arrive later after its pass than the last (a first connect under ASan is slow); without the
limits the same mail arrives within a fraction of the interval."""

JITTER = 0.2

import time

import harness
from harness import make_message
from delivery_base import DeliveryTestCase

ZONE = dict(
    mx=[("a.test", "mx1.shared.test", 10), ("a.test", "mx2.shared.test", 20),
        ("b.test", "mx2.shared.test", 5), ("b.test", "mx1.shared.test", 10),
        ("c.test", "mx.c.test", 10),
        ("g1.test", "mx.one.bigprovider.test", 10), ("g2.test", "mx.two.bigprovider.test", 10)],
    hosts={"mx1.shared.test": ["127.0.0.2"], "mx2.shared.test": ["127.0.0.2"], "mx.c.test": ["127.0.0.3"],
           "mx.one.bigprovider.test": ["127.0.0.4"], "mx.two.bigprovider.test": ["127.0.0.4"]},
)


class ShapingTest(DeliveryTestCase):
    ZONE = ZONE

    def send_many(self, srv, rcpts):
        """One message per recipient over one SMTP session; {rcpt: qid}."""
        c = srv.smtp()
        try:
            return {r: harness.send_on(c, "bulk@example.org", [r], make_message("to " + r, to=r)) for r in rcpts}
        finally:
            c.quit()

    def test_domains_with_the_same_mx_hosts_share_the_site_connection_limit(self):
        shared = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"max_connections_per_destination": 1})
        # "slow" recipients make the sink hold each transaction: connections overlap if allowed.
        rcpts = ["slow-%d@%s" % (i, d) for i in range(4) for d in ("a.test", "b.test")]
        self.send_many(srv, rcpts)
        self.wait_sink(shared, len(rcpts))
        self.assertEqual(shared.max_concurrent, 1,
                         "a.test and b.test resolve to the same MX hosts: one site, one connection at a time\n"
                         + shared.describe())

    def test_without_rollup_each_domain_has_its_own_limit(self):
        shared = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"max_connections_per_destination": 1},
                                   config={"shaping": {"mx_rollup": False}})
        rcpts = ["slow-%d@%s" % (i, d) for i in range(6) for d in ("a.test", "b.test")]
        self.send_many(srv, rcpts)
        self.wait_sink(shared, len(rcpts))
        self.assertEqual(shared.max_concurrent, 2, "one connection per domain\n" + shared.describe())

    def test_a_rule_by_mx_pattern_makes_one_site_of_different_hosts(self):
        provider = self.start_sink("127.0.0.4")
        srv = self.delivery_server(config={"shaping": {"sites": {
            "bigprovider": {"mx": ["*.bigprovider.test"], "max_connections": 1}}}})
        rcpts = ["slow-%d@%s" % (i, d) for i in range(4) for d in ("g1.test", "g2.test")]
        self.send_many(srv, rcpts)
        self.wait_sink(provider, len(rcpts))
        self.assertEqual(provider.max_concurrent, 1, provider.describe())

    def test_message_rate_holds_while_other_sites_go_on(self):
        shared = self.start_sink("127.0.0.2")
        other = self.start_sink("127.0.0.3")
        srv = self.delivery_server(config={"shaping": {"sites": {
            "shared": {"mx": ["*.shared.test"], "max_message_rate": "4/s"}}}})
        throttled = ["u%d@%s" % (i, d) for i in range(6) for d in ("a.test", "b.test")]
        free = ["u%d@c.test" % i for i in range(6)]
        t0 = time.monotonic()
        self.send_many(srv, throttled + free)
        self.wait_sink(shared, len(throttled), timeout=60)
        self.wait_sink(other, len(free))
        times = sorted(shared.arrival_times)
        # 12 passes at one per 250 ms: the last comes 11 intervals after the first.
        self.assertGreaterEqual(times[-1] - times[0], 11 * 0.25 - JITTER,
                                "4/s over 12 messages\n" + shared.describe())
        self.assertLess(max(other.arrival_times), times[-1] - 1.0,
                        "c.test is another site: its mail must not wait behind the throttled site's "
                        "(sent at %.2f)" % t0)

    def test_connection_rate_holds(self):
        shared = self.start_sink("127.0.0.2")
        srv = self.delivery_server(config={"shaping": {"sites": {
            "shared": {"mx": ["*.shared.test"], "max_connection_rate": "2/s", "max_messages_per_connection": 1}}}})
        rcpts = ["u%d@a.test" % i for i in range(6)]
        self.send_many(srv, rcpts)
        self.wait_sink(shared, len(rcpts), timeout=60)
        times = sorted(shared.connection_times)
        self.assertGreaterEqual(len(times), 6, shared.describe())
        self.assertGreaterEqual(times[5] - times[0], 5 * 0.5 - JITTER, "2 connections/s\n" + shared.describe())

    def test_a_slow_pace_closes_the_connection_instead_of_idling(self):
        shared = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"idle_timeout": "1s"}, config={"shaping": {"sites": {
            "shared": {"mx": ["*.shared.test"], "max_message_rate": "1/3s"}}}})
        self.send_many(srv, ["u1@a.test", "u2@a.test"])
        msgs = self.wait_sink(shared, 2, timeout=30)
        self.assertGreaterEqual(shared.arrival_times[1] - shared.arrival_times[0], 3 - JITTER, shared.describe())
        self.assertEqual(sorted({m.connection for m in msgs}), [1, 2],
                         "waiting 3 s with a 1 s idle time: QUIT and a new connection\n" + shared.describe())
        self.assertEqual(shared.max_concurrent, 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
