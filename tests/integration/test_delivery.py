"""Delivery to remote MX hosts (SMTP sinks on 127.0.0.x behind a private dnsmasq) and to local INBOXes."""

import collections
import time
import unittest

import harness
from harness import HOSTNAME, make_message, verify_local
from delivery_base import DeliveryTestCase, SETTLE
from sink import free_port_on

ZONE = dict(
    mx=[
        ("deliver.test", "mx.deliver.test", 10),
        ("pref.test", "mx1.pref.test", 10),      # nothing listens: connection refused
        ("pref.test", "mx2.pref.test", 20),      # the sink that must get the mail
        ("pref.test", "mx3.pref.test", 30),      # must not be used while mx2 works
        ("greet.test", "mx1.greet.test", 10),    # greets with 421
        ("greet.test", "mx2.greet.test", 20),
        ("partner2.test", "mx.deliver.test", 10),   # MX ignored: a static route wins
        ("shared1.test", "mx.deliver.test", 10),    # two domains, one MX host
        ("shared2.test", "mx.deliver.test", 10),
    ],
    hosts={
        "mx.deliver.test": ["127.0.0.2"],
        "mx1.pref.test": ["127.0.0.3"],
        "mx2.pref.test": ["127.0.0.4"],
        "mx3.pref.test": ["127.0.0.5"],
        "mx1.greet.test": ["127.0.0.6"],
        "mx2.greet.test": ["127.0.0.7"],
        "implicit.test": ["127.0.0.8"],          # no MX: the A record is the implicit MX
        "routehost.test": ["127.0.0.9"],
    },
)


def body_with_dots(tag):
    return [tag, ".leading dot", "..two dots", ".", "a line " + "x" * 200, "", "-- ", "end"]


class DeliveryTest(DeliveryTestCase):
    ZONE = ZONE

    def test_mx_delivery_byte_exact_and_queue_empty(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(users=["sender@localhost"])
        msg = make_message("to the MX", body_with_dots("mx delivery"), sender="sender@localhost",
                           to="rcpt1@deliver.test")
        qid = srv.send("sender@localhost", ["rcpt1@deliver.test", "rcpt2@deliver.test"], msg)
        ev = self.wait_delivery(srv, qid, "rcpt1@deliver.test", "delivered")
        self.wait_delivery(srv, qid, "rcpt2@deliver.test", "delivered")
        msgs = self.wait_sink(sink, 1)
        got = collections.Counter(r for m in msgs for r in m.rcpts)
        self.assertEqual(got, {"rcpt1@deliver.test": 1, "rcpt2@deliver.test": 1},
                         "each recipient exactly once at the MX\n" + sink.describe())
        for m in msgs:
            self.assertEqual(m.mail_from, "sender@localhost", sink.describe())
            received, rest = harness.split_received(m.data)
            harness.check_received(self, received, qid)
            if rest != msg:
                self.fail("the message at the MX differs from what was sent (beyond our Received header)\n"
                          "sent %d bytes: %r\ngot  %d bytes: %r" % (len(msg), msg[:500], len(rest), rest[:500]))
        self.assertEqual(sink.protocol_errors, [], "the client used only what the sink offered")
        self.assertTrue(any(t == "EHLO " + HOSTNAME for _, t in sink.client_lines()),
                        "the engine should say EHLO %s\n%s" % (HOSTNAME, sink.describe()))
        self.assertEqual(ev.get("relay"), "mx.deliver.test[127.0.0.2]:%d" % self.remote_port, "relay= of %r" % ev)
        self.assertTrue(ev.get("dsn", "").startswith("2."), "dsn= of %r" % ev)
        self.assertIn("250", ev.get("reply", ""), "reply= of %r" % ev)
        self.assertQueueEmpty(srv, msg="after delivery")
        time.sleep(SETTLE)
        self.assertEqual(srv.mailbox_list("sender@localhost"), [], "no DSN without NOTIFY=SUCCESS")

    def test_mx_fallback_when_first_host_refuses(self):
        second = self.start_sink("127.0.0.4", name="mx2 (pref 20)")
        third = self.start_sink("127.0.0.5", name="mx3 (pref 30)")
        srv = self.delivery_server()
        qids = []
        for i in range(3):
            qids.append(srv.send("a@example.org", ["p%d@pref.test" % i],
                                 make_message("pref %d" % i, ["fallback"], to="p%d@pref.test" % i)))
        for i, q in enumerate(qids):
            ev = self.wait_delivery(srv, q, "p%d@pref.test" % i, "delivered")
            self.assertIn("127.0.0.4", ev.get("relay", ""), "delivered via the pref-20 host: %r" % ev)
            deferred = [d for d in srv.delivery_events(q) if d.get("result") != "delivered"]
            self.assertEqual(deferred, [], "the next MX must be tried in the same attempt when the first "
                             "refuses the connection, not after a retry")
        self.wait_sink(second, 3)
        self.assertEqual(len(third.snapshot()), 0, "the pref-30 host must not be used while pref 20 accepts\n"
                         + third.describe())
        self.assertQueueEmpty(srv)

    def test_mx_fallback_after_421_greeting(self):
        busy = self.start_sink("127.0.0.6", greeting=(421, "4.3.2 too busy"), name="mx1 (421 greeting)")
        good = self.start_sink("127.0.0.7", name="mx2")
        srv = self.delivery_server()
        qid = srv.send("a@example.org", ["g@greet.test"], make_message("greet", ["x"], to="g@greet.test"))
        ev = self.wait_delivery(srv, qid, "g@greet.test", "delivered")
        self.assertIn("127.0.0.7", ev.get("relay", ""), ev)
        self.assertGreaterEqual(busy.connections, 1, "the pref-10 host should have been tried first\n" + busy.describe())
        self.assertEqual(busy.transactions, 0)
        self.assertEqual(len(self.wait_sink(good, 1)), 1)
        self.assertQueueEmpty(srv)

    def test_implicit_mx_from_a_record(self):
        sink = self.start_sink("127.0.0.8")
        srv = self.delivery_server()
        msg = make_message("implicit", ["no MX, an A record"], to="i@implicit.test")
        qid = srv.send("a@example.org", ["i@implicit.test"], msg)
        ev = self.wait_delivery(srv, qid, "i@implicit.test", "delivered")
        self.assertIn("127.0.0.8", ev.get("relay", ""), ev)
        m = self.wait_sink(sink, 1)[0]
        self.assertEqual(m.rcpts, ["i@implicit.test"])
        self.assertEqual(harness.split_received(m.data)[1], msg)
        self.assertQueueEmpty(srv)

    def test_static_routes(self):
        route_port = free_port_on(["127.0.0.9"])
        while route_port == self.remote_port:
            route_port = free_port_on(["127.0.0.9"])
        routed = self.start_sink("127.0.0.9", port=route_port, name="route target")
        mx = self.start_sink("127.0.0.2", name="partner2.test's MX (must not be used)")
        srv = self.delivery_server(delivery={"routes": {
            "partner.test": "[127.0.0.9]:%d" % route_port,          # NXDOMAIN in DNS: the route bypasses it
            "partner2.test": "routehost.test:%d" % route_port,      # host name: its A record
        }})
        q1 = srv.send("a@example.org", ["x@partner.test"], make_message("route ip", ["1"], to="x@partner.test"))
        q2 = srv.send("a@example.org", ["y@partner2.test"], make_message("route host", ["2"], to="y@partner2.test"))
        e1 = self.wait_delivery(srv, q1, "x@partner.test", "delivered")
        e2 = self.wait_delivery(srv, q2, "y@partner2.test", "delivered")
        for e in (e1, e2):
            self.assertIn("127.0.0.9]:%d" % route_port, e.get("relay", ""), e)
        msgs = self.wait_sink(routed, 2)
        self.assertEqual(sorted(r for m in msgs for r in m.rcpts), ["x@partner.test", "y@partner2.test"])
        self.assertEqual(mx.connections, 0, "the MX of a routed domain must not be contacted\n" + mx.describe())
        self.assertQueueEmpty(srv)

    def send_batch(self, srv, n, tag):
        """n messages to distinct deliver.test recipients over one SMTP session; returns {Message-ID: qid}."""
        ids = {}
        c = srv.smtp()
        try:
            for i in range(n):
                mid = "<%s-%d@batch.test>" % (tag, i)
                m = make_message("%s %d" % (tag, i), ["batch message %d" % i], to="b%d@deliver.test" % i, msgid=mid)
                ids[mid] = harness.send_on(c, "a@example.org", ["b%d@deliver.test" % i], m)
            c.quit()
        finally:
            c.close()
        return ids

    @staticmethod
    def message_id(data):
        for line in data.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                return line.split(b":", 1)[1].strip().decode()
        return None

    def test_connection_reuse_one_connection_per_destination(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"max_connections_per_destination": 1, "idle_timeout": "5s"})
        ids = self.send_batch(srv, 20, "reuse")
        self.wait_first_attempt(srv, ids["<reuse-0@batch.test>"])
        msgs = self.wait_sink(sink, 20, timeout=30)
        got = collections.Counter(self.message_id(m.data) for m in msgs)
        self.assertEqual(set(got), set(ids), "every message arrives\n" + sink.describe())
        self.assertEqual(max(got.values()), 1, "no message twice: %r" % {k: v for k, v in got.items() if v > 1})
        self.assertLessEqual(sink.connections, 2, "20 messages with max_connections_per_destination = 1 should reuse "
                             "one connection (at most 2)\n" + sink.describe())
        self.assertEqual(sink.transactions, 20, "one MAIL per message\n" + sink.describe())
        self.assertGreaterEqual(sink.rsets, sink.transactions - sink.connections,
                                "RSET between messages on a reused connection\n" + sink.describe())
        self.assertQueueEmpty(srv)

    def test_max_messages_per_connection(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"max_connections_per_destination": 1, "max_messages_per_connection": 5,
                                             "idle_timeout": "5s"})
        ids = self.send_batch(srv, 20, "cap")
        self.wait_first_attempt(srv, ids["<cap-0@batch.test>"])
        msgs = self.wait_sink(sink, 20, timeout=30)
        self.assertEqual({self.message_id(m.data) for m in msgs}, set(ids), sink.describe())
        per_conn = collections.Counter(m.connection for m in msgs)
        self.assertGreaterEqual(sink.connections, 4, "20 messages, at most 5 per connection: >= 4 connections\n"
                                + sink.describe())
        self.assertLessEqual(max(per_conn.values()), 5, "messages per connection: %r" % dict(per_conn))
        self.assertQueueEmpty(srv)

    def test_max_connections_per_host_spans_domains(self):
        # Two destinations share one MX host: their connections count together.
        sink = self.start_sink("127.0.0.2", data_delay=0.05)
        srv = self.delivery_server(delivery={"max_connections_per_destination": 5, "max_connections_per_host": 1,
                                             "idle_timeout": "1s"})
        ids = {}
        c = srv.smtp()
        try:
            for i in range(10):
                rcpt = "u%d@shared%d.test" % (i, 1 + i % 2)
                mid = "<shared-%d@batch.test>" % i
                ids[mid] = harness.send_on(c, "a@example.org", [rcpt],
                                           make_message("shared %d" % i, ["x"], to=rcpt, msgid=mid))
            c.quit()
        finally:
            c.close()
        msgs = self.wait_sink(sink, 10, timeout=30)
        self.assertEqual({self.message_id(m.data) for m in msgs}, set(ids), sink.describe())
        self.assertEqual(sink.max_concurrent, 1, "max_connections_per_host = 1 over both domains\n" + sink.describe())
        # One server for both domains: the connection serves both in turn
        # instead of being closed and reopened at every change of domain.
        self.assertLessEqual(sink.connections, 2, "connection shared across domains\n" + sink.describe())
        self.assertQueueEmpty(srv)

    def test_local_and_remote_recipients_through_the_engine(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(users=["local1@localhost", "local2@local.test"])
        msg = make_message("mixed local and remote", ["both"], to="local1@localhost")
        qid = srv.send("a@example.org", ["local1@localhost", "r@deliver.test", "local2@local.test"], msg)
        for u in ("local1@localhost", "local2@local.test"):
            ev = self.wait_delivery(srv, qid, u, "delivered")
            self.assertEqual(ev.get("relay"), "local", "local delivery logs relay=local: %r" % ev)
            self.assertTrue(ev.get("dsn", "").startswith("2."), ev)
            verify_local(self, srv, u, "a@example.org", qid, msg, wait=10)
        self.wait_delivery(srv, qid, "r@deliver.test", "delivered")
        m = self.wait_sink(sink, 1)[0]
        self.assertEqual(m.rcpts, ["r@deliver.test"], "only the remote recipient goes to the MX")
        self.assertEqual(harness.split_received(m.data)[1], msg)
        self.assertQueueEmpty(srv)


if __name__ == "__main__":
    unittest.main()
