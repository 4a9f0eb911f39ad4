"""DNS answers that are not final (issue 10, item 4): a CNAME loop for the domain or for its MX host, a
SERVFAIL for an MX host's address, a name too long to be asked for. Only NXDOMAIN (5.1.2), a name without
MX or addresses, and a null MX (5.1.10) bounce; everything else defers with 4.4.3 and is retried per
retry_schedule. Served by scripted_dns.py (dnsmasq refuses to start with a CNAME loop)."""

from harness import make_message
from delivery_base import DeliveryTestCase
from scripted_dns import ScriptedDns

LONG_LABEL = "x" * 64

RULES = {
    ("loop.test", "*"): ("cname", "loop2.test"),
    ("loop2.test", "*"): ("cname", "loop.test"),
    ("mxloop.test", "MX"): ("mx", [(10, "mx.mxloop.test")]),
    ("mx.mxloop.test", "*"): ("cname", "loop.test"),
    ("sfhost.test", "MX"): ("mx", [(10, "mx.sfhost.test")]),
    ("mx.sfhost.test", "A"): ("rcode", 2),
    ("mx.sfhost.test", "AAAA"): ("rcode", 2),
    ("nullmx.test", "MX"): ("mx", [(0, "")]),
}


class DnsTemporaryFailureTest(DeliveryTestCase):
    @classmethod
    def setUpClass(cls):
        super(DeliveryTestCase, cls).setUpClass()   # not DeliveryTestCase's dnsmasq: the scripted server
        cls.dns = ScriptedDns(RULES)
        cls.addClassCleanup(cls.dns.cleanup)
        cls.dns.start()

    def deferred_with_443(self, rcpt, **delivery):
        srv = self.delivery_server(delivery=dict({"retry_schedule": ["1h"]}, **delivery))
        qid = srv.send("a@example.org", [rcpt], make_message("dns", ["x"], to=rcpt))
        ev = self.wait_delivery(srv, qid, rcpt, "deferred")
        self.assertEqual(ev.get("dsn"), "4.4.3", ev)
        self.assertEqual(ev.get("relay"), "none", ev)
        failed = [d for d in srv.delivery_events(qid, rcpt) if d.get("result") == "failed"]
        self.assertEqual(failed, [], "a temporary DNS failure must not bounce")
        ok, entries = srv.wait_queue(lambda es: any(e["qid"] == qid and e["attempts"] for e in es), timeout=5)
        self.assertTrue(ok, "the message stays queued for a retry: %r" % [e["line"] for e in entries])
        return ev

    def test_cname_loop_for_the_domain_defers(self):
        ev = self.deferred_with_443("u@loop.test")
        self.assertIn("CNAME loop", ev.get("reply", ""), ev)

    def test_cname_loop_for_the_mx_host_defers(self):
        ev = self.deferred_with_443("u@mxloop.test")
        self.assertIn("CNAME loop", ev.get("reply", ""), ev)

    def test_servfail_for_the_mx_host_address_defers(self):
        ev = self.deferred_with_443("u@sfhost.test")
        self.assertIn("SERVFAIL", ev.get("reply", ""), ev)

    def test_over_long_name_defers(self):
        # The SMTP server refuses such a recipient domain (501 5.1.3), so the name comes from a route's host,
        # which c-ares cannot put into a query (a label over 63 octets).
        ev = self.deferred_with_443("u@longroute.test", routes={"longroute.test": "%s.test:25" % LONG_LABEL})
        self.assertIn("invalid domain name", ev.get("reply", ""), ev)

    # --- the permanent ones stay permanent ---

    def test_nxdomain_and_null_mx_still_bounce(self):
        srv = self.delivery_server(delivery={"retry_schedule": ["1h"]})
        for rcpt, dsn in (("u@nowhere.test", "5.1.2"), ("u@nullmx.test", "5.1.10")):
            qid = srv.send("a@example.org", [rcpt], make_message("dns", ["x"], to=rcpt))
            ev = self.wait_delivery(srv, qid, rcpt, "failed")
            self.assertEqual(ev.get("dsn"), dsn, ev)
