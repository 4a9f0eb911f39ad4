"""Connection sharing keyed by the whole path (issue 10, item 1): an idle connection takes another domain's
mail only when that domain's path is the same — address, port and TLS policy — as Postfix keys its
connection cache. Two routes on one IP with different ports, a route and an MX on one IP with different
ports, and two domains on one server with different TLS policies; mail sent at once, in both orders."""

import collections
import time

import harness
from harness import make_message
from delivery_base import DeliveryTestCase
from sink import free_port_on

ZONE = dict(
    mx=[("mx.test", "mx.mx.test", 10)],
    hosts={"mx.mx.test": ["127.0.0.2"]},
)
ROUNDS = 8


class ConnectionPathTest(DeliveryTestCase):
    ZONE = ZONE

    def other_port(self, host, *taken):
        for _ in range(20):
            p = free_port_on([host])
            if p not in taken:
                return p
        self.fail("no second free port on %s" % host)

    def send_interleaved(self, srv, domains, slow):
        """ROUNDS messages per domain, alternating in `domains` order, over one SMTP session: {rcpt: qid}.
        The sinks answer the messages of domain `slow` late (sink.py's "slow" recipients): its queue builds up
        while the other domain's connection idles, which is when an idle connection looks for other work."""
        sent = {}
        c = srv.smtp()
        try:
            for i in range(ROUNDS):
                for d in domains:
                    rcpt = "%su%d@%s" % ("slow-" if d == slow else "", i, d)
                    sent[rcpt] = harness.send_on(c, "a@example.org", [rcpt],
                                                 make_message("path %d" % i, ["to %s" % d], to=rcpt))
            c.quit()
        finally:
            c.close()
        return sent

    def check_each_sink_got_only_its_domain(self, srv, sent, sink_of):
        """sink_of: {domain: sink}. Every message arrives once, at its domain's sink, and the log names that port."""
        sinks = list(sink_of.values())
        deadline = time.monotonic() + 30
        while sum(len(s.snapshot()) for s in sinks) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        for domain, sink in sink_of.items():
            got = collections.Counter(r for m in sink.snapshot() for r in m.rcpts)
            want = {r: 1 for r in sent if r.endswith("@" + domain)}
            others = {r: n for r, n in got.items() if not r.endswith("@" + domain)}
            self.assertEqual(others, {}, "%s received mail of other routes\n%s" % (sink.name, sink.describe()))
            self.assertEqual(dict(got), want, "%s should receive each %s message once\n%s"
                             % (sink.name, domain, sink.describe()))
        for rcpt, qid in sent.items():
            ev = self.wait_delivery(srv, qid, rcpt, "delivered")
            port = sink_of[rcpt.split("@")[1]].port
            self.assertTrue(ev.get("relay", "").endswith("]:%d" % port),
                            "relay= of %s must be the connection really used (port %d): %r" % (rcpt, port, ev))
        self.assertQueueEmpty(srv)

    def two_routes_one_ip(self, order):
        p1 = self.remote_port
        p2 = self.other_port("127.0.0.1", p1)
        s1 = self.start_sink("127.0.0.1", port=p1, name="a.test's route (port %d)" % p1)
        s2 = self.start_sink("127.0.0.1", port=p2, name="b.test's route (port %d)" % p2)
        srv = self.delivery_server(delivery={
            "routes": {"a.test": "127.0.0.1:%d" % p1, "b.test": "127.0.0.1:%d" % p2},
            "max_connections_per_destination": 1, "idle_timeout": "3s"})
        sent = self.send_interleaved(srv, order, slow="b.test")
        self.check_each_sink_got_only_its_domain(srv, sent, {"a.test": s1, "b.test": s2})

    def test_two_routes_one_ip_a_first(self):
        self.two_routes_one_ip(["a.test", "b.test"])

    def test_two_routes_one_ip_b_first(self):
        self.two_routes_one_ip(["b.test", "a.test"])

    def test_route_and_mx_on_one_ip_with_different_ports(self):
        p2 = self.other_port("127.0.0.2", self.remote_port)
        mx = self.start_sink("127.0.0.2", name="mx.test's MX (remote_port %d)" % self.remote_port)
        routed = self.start_sink("127.0.0.2", port=p2, name="r.test's route (port %d)" % p2)
        srv = self.delivery_server(delivery={"routes": {"r.test": "[127.0.0.2]:%d" % p2},
                                             "max_connections_per_destination": 1, "idle_timeout": "3s"})
        sent = self.send_interleaved(srv, ["mx.test", "r.test"], slow="r.test")
        self.check_each_sink_got_only_its_domain(srv, sent, {"mx.test": mx, "r.test": routed})

    def test_different_tls_policies_never_share_a_connection(self):
        sink = self.start_sink("127.0.0.1", name="one server, two policies")
        route = "127.0.0.1:%d" % self.remote_port
        srv = self.delivery_server(delivery={
            "routes": {"plain.test": route, "may.test": route},
            "tls": {"default": "may", "domains": {"plain.test": "none"}},
            "max_connections_per_destination": 1, "idle_timeout": "3s"})
        sent = self.send_interleaved(srv, ["plain.test", "may.test"], slow="may.test")
        msgs = self.wait_sink(sink, len(sent), timeout=30)
        per_conn = collections.defaultdict(set)
        for m in msgs:
            for r in m.rcpts:
                per_conn[m.connection].add(r.split("@")[1])
        mixed = {c: d for c, d in per_conn.items() if len(d) > 1}
        self.assertEqual(mixed, {}, "a connection carried mail of two TLS policies\n" + sink.describe())
        for rcpt, qid in sent.items():
            self.wait_delivery(srv, qid, rcpt, "delivered")
        self.assertQueueEmpty(srv)
