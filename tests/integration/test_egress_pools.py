"""Egress sources and pools (issue 13 item 4; docs/BULK.md), on loopback: sources 127.0.0.2-127.0.0.5, each
with its own EHLO name, and a sink on 127.0.0.6 (the MX of the test domains) that records which address
each connection came from and which EHLO name it gave.

 * a weighted pool: N messages reach the sink from each source's address, with its EHLO name, in exactly
   the configured proportions (smooth weighted round-robin), and each delivery log line names its source;
 * X-Ringpost-Pool from a trusted client picks the pool and never reaches the recipient; from an untrusted
   client it is removed and ignored; a sender domain's pool;
 * the connection limit holds per (source, site): one connection per source at a time, not one in all;
 * a restart keeps the pool of a queued message (it is in the envelope: the header is long gone)."""

import collections

import harness
from harness import make_message
from delivery_base import DeliveryTestCase

ZONE = dict(
    mx=[("pool.test", "mx.pool.test", 10), ("other.test", "mx.pool.test", 10)],
    hosts={"mx.pool.test": ["127.0.0.6"]},
)
SINK = "127.0.0.6"
SOURCES = {"s%d" % i: {"address": "127.0.0.%d" % i, "ehlo": "mta%d.pools.test" % i} for i in range(2, 6)}
WEIGHTS = {"s2": 4, "s3": 3, "s4": 2, "s5": 1}
EGRESS = {
    "default_pool": "bulk",
    "sources": SOURCES,
    "pools": {
        "bulk": {"sources": list(WEIGHTS), "weights": list(WEIGHTS.values())},
        "vip": {"sources": ["s5"]},
        "news": {"sources": ["s3"]},
    },
    "sender_domains": {"news.example": "news"},
}


def origin(source):
    return SOURCES[source]["address"], SOURCES[source]["ehlo"]


class EgressPoolsTest(DeliveryTestCase):
    ZONE = ZONE

    def pool_server(self, egress=None, delivery=None, config=None, users=()):
        return self.delivery_server(delivery=delivery, config=harness.merge({"egress": egress or EGRESS}, config or {}),
                                    users=users)

    def send_many(self, srv, rcpts, sender="bulk@example.org", extra_headers=()):
        """One message per recipient over one SMTP session; {rcpt: qid}."""
        c = srv.smtp()
        try:
            return {r: harness.send_on(c, sender, [r], make_message("to " + r, to=r, extra_headers=extra_headers))
                    for r in rcpts}
        finally:
            c.quit()

    def origins(self, sink, msgs):
        return collections.Counter(sink.origin_of(m) for m in msgs)

    def test_weighted_pool_sends_from_each_source_in_its_proportion(self):
        sink = self.start_sink(SINK)
        srv = self.pool_server()
        rounds = 5
        n = rounds * sum(WEIGHTS.values())
        sent = self.send_many(srv, ["u%d@pool.test" % i for i in range(n)])
        msgs = self.wait_sink(sink, n, timeout=40)
        want = collections.Counter({origin(s): w * rounds for s, w in WEIGHTS.items()})
        self.assertEqual(self.origins(sink, msgs), want,
                         "each source's address and EHLO name, weights 4:3:2:1 over %d messages\n%s"
                         % (n, sink.describe()))
        by_rcpt = {r: sink.origin_of(m) for m in msgs for r in m.rcpts}
        for rcpt, qid in sent.items():
            ev = self.wait_delivery(srv, qid, rcpt, "delivered")
            self.assertIn(ev.get("source"), SOURCES, "the delivery line names the source: %r" % ev)
            self.assertEqual(origin(ev["source"]), by_rcpt[rcpt],
                             "source= is the address the sink saw for %s: %r" % (rcpt, ev))
        self.assertQueueEmpty(srv)

    def test_trusted_header_picks_the_pool_and_is_removed(self):
        sink = self.start_sink(SINK)
        srv = self.pool_server()
        self.send_many(srv, ["v%d@pool.test" % i for i in range(3)], extra_headers=["X-Ringpost-Pool: vip"])
        msgs = self.wait_sink(sink, 3)
        self.assertEqual(self.origins(sink, msgs), {origin("s5"): 3}, sink.describe())
        for m in msgs:
            self.assertNotIn(b"x-ringpost-pool", m.data.lower(), "the header must not leave the server")

    def test_sender_domain_picks_the_pool(self):
        sink = self.start_sink(SINK)
        srv = self.pool_server()
        self.send_many(srv, ["n%d@pool.test" % i for i in range(3)], sender="editor@News.Example")
        msgs = self.wait_sink(sink, 3)
        self.assertEqual(self.origins(sink, msgs), {origin("s3"): 3}, sink.describe())

    def test_untrusted_header_is_removed_and_ignored(self):
        # Only 127.0.0.1 may relay: a client from 127.0.0.9 is untrusted (it may still mail a local user).
        srv = self.pool_server(config={"relay": {"relay_networks": ["127.0.0.1/32"]}}, users=["alice@localhost"])
        c = harness.RawSMTP("127.0.0.1", srv.port, timeout=10, source="127.0.0.9")
        try:
            self.assertEqual(c.read_reply().code, 220)
            for line, code in (("EHLO outsider.test", 250), ("MAIL FROM:<x@news.example>", 250),
                               ("RCPT TO:<alice@localhost>", 250), ("DATA", 354)):
                self.assertEqual(c.cmd(line).code, code, c.transcript())
            body = make_message("untrusted", extra_headers=["X-Ringpost-Pool: vip"]).replace(b"\r\n.", b"\r\n..")
            c.send(body + b".\r\n")
            r = c.read_reply()
            self.assertEqual(r.code, 250, c.transcript())
            qid = harness.parse_qid(r.text)
        finally:
            c.close()
        ev = srv.wait_log(lambda d: d.get("event") == "egress_pool_ignored" and d.get("qid") == qid)
        self.assertIsNotNone(ev, "an untrusted client's X-Ringpost-Pool is logged as ignored")
        self.assertEqual(ev.get("client"), "127.0.0.9")
        mid, _ = harness.find_mailbox_entry(srv, "alice@localhost", qid=qid)
        data = srv.mailbox_show("alice@localhost", mid)
        self.assertIn(b"Subject: untrusted", data)
        self.assertNotIn(b"x-ringpost-pool", data.lower(), "the header is removed whoever sent it")

    def test_connection_limit_holds_per_source_and_site(self):
        sink = self.start_sink(SINK)
        two = {"default_pool": "pair", "sources": {k: SOURCES[k] for k in ("s2", "s3")},
               "pools": {"pair": {"sources": ["s2", "s3"]}}}
        srv = self.pool_server(egress=two, delivery={"max_connections_per_destination": 1})
        # "slow" recipients make the sink hold each transaction: connections overlap where allowed.
        rcpts = ["slow-%d@%s" % (i, d) for i in range(6) for d in ("pool.test", "other.test")]
        self.send_many(srv, rcpts)
        msgs = self.wait_sink(sink, len(rcpts), timeout=40)
        self.assertEqual(self.origins(sink, msgs), {origin("s2"): 6, origin("s3"): 6}, sink.describe())
        self.assertEqual(sink.max_concurrent, 2,
                         "one site (the same MX), one connection at a time per source: two at once\n"
                         + sink.describe())
        per_conn = collections.defaultdict(set)
        for m in msgs:
            per_conn[m.connection].add(sink.origin_of(m))
        self.assertTrue(all(len(o) == 1 for o in per_conn.values()), "a connection is one source's\n"
                        + sink.describe())

    def test_a_restart_keeps_the_pool_of_queued_mail(self):
        srv = self.pool_server(delivery={"retry_schedule": ["2s"]})
        qid = self.send_many(srv, ["later@pool.test"], extra_headers=["X-Ringpost-Pool: vip"])["later@pool.test"]
        # No sink yet: the attempt fails and the message stays queued.
        ev = self.wait_delivery(srv, qid, "later@pool.test", "deferred")
        self.assertEqual(ev.get("source"), "s5", ev)
        envelope, data = srv.queue_show(qid)
        self.assertIn("pool: vip\n", envelope, "the envelope keeps the pool")
        self.assertNotIn(b"x-ringpost-pool", data.lower(), "the spool holds the message without the header")
        srv.stop()
        sink = self.start_sink(SINK)
        srv.start()
        msgs = self.wait_sink(sink, 1, timeout=30)
        self.assertEqual(sink.origin_of(msgs[0]), origin("s5"),
                         "after the restart the message still goes out through pool vip\n" + sink.describe())
        self.assertNotIn(b"x-ringpost-pool", msgs[0].data.lower())
        self.assertQueueEmpty(srv)


if __name__ == "__main__":
    import unittest
    unittest.main()
