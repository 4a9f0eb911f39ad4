"""Screening before the greeting ([screen], docs/INBOUND.md "Screening"),
as Postfix's postscreen: DNSBL/DNSWL zones served by dnsmasq on loopback
(weights that add up across zones, a reply filter, an allow list, the TXT
reason in the 554, query-refused codes that are not listings), the
pregreet test (a client talking before the end of the multi-line greeting
gets 554 5.5.1 and is disconnected; a patient one is greeted), and the
per-IP connection and message rates. Clients take their source address
from 127.0.0.2 and up (Linux answers for all of 127.0.0.0/8), so each test
is a different client."""

import unittest

import harness
from dns_server import DnsServer
from harness import RawSMTP, ServerTestCase

GREET_WAIT = 1.5   # seconds; every screened client that is not allow-listed waits this long (a wide
                   # margin over the allow-listed one's few milliseconds, on a loaded machine too)

SITES = ["zen.test*3", "bl.test=127.0.0.4*2", "wl.test*-2", "two.test", "err.test"]
REASON = "Listed by zen.test see http://zen.test/q?127.0.0.2"


def zone(ip, name):
    return "%s.%s" % (".".join(reversed(ip.split("."))), name)


# client address -> [(zone, A record)]
LISTINGS = {
    "127.0.0.2": [("zen.test", "127.0.0.2")],                          # 3: blocked
    "127.0.0.5": [("bl.test", "127.0.0.4"), ("two.test", "127.0.0.2")],   # 2 + 1: blocked
    "127.0.0.6": [("bl.test", "127.0.0.4")],                           # 2: passes
    "127.0.0.7": [("bl.test", "127.0.0.9")],                           # the filter does not match: 0
    "127.0.0.8": [("wl.test", "127.0.0.2")],                           # -2: allow-listed
    "127.0.0.9": [("err.test", "127.255.255.254"), ("two.test", "127.0.0.2")],   # a refused query is no listing: 1
    "127.0.0.10": [("zen.test", "10.0.0.2")],                          # outside 127/8: an error, 0
}


def metric(srv, result):
    return srv.counter("ringpost_screen_total", result)


class ScreeningTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        if not harness.loopback_alias_ok("127.0.0.2"):
            harness.missing_dependency(None, "binding 127.0.0.2 as a source address")
        hosts = {}
        for ip, listings in LISTINGS.items():
            for z, answer in listings:
                hosts.setdefault(zone(ip, z), []).append(answer)
        cls.dns = DnsServer(hosts=hosts, txt={zone("127.0.0.2", "zen.test"): REASON}).start()
        cls.addClassCleanup(cls.dns.cleanup)
        cls.srv = cls.start_class_server({
            # Only 127.0.0.1 is trusted here: the clients from 127.0.0.2 up are screened.
            "relay": {"relay_networks": ["127.0.0.1/32", "::1/128"]},
            "delivery": {"dns_servers": [cls.dns.address]},
            "screen": {"dnsbl_sites": SITES, "dnsbl_threshold": 3, "dnsbl_allowlist_threshold": -1,
                       "dnsbl_timeout": "2s", "pregreet": "enforce", "greet_wait": "%dms" % int(GREET_WAIT * 1000)},
        })

    def connect(self, source):
        c = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source=source)
        self.addCleanup(c.close)
        return c

    def greeted(self, source):
        """A patient client: the whole greeting, then EHLO works. Returns the seconds the greeting took."""
        return self.patient_client(self.srv, source)

    def screen_event(self, ip, result, **fields):
        """The `event=screen` line of `ip` with `result` (and `fields`): the
        log is written by a thread of its own, so it is waited for."""
        def match(e):
            return (e.get("event") == "screen" and e.get("client") == ip and e.get("result") == result
                    and all(e.get(k) == v for k, v in fields.items()))
        found = self.srv.wait_log(match)
        self.assertIsNotNone(found, "no event=screen client=%s result=%s %r in the log:\n%s"
                             % (ip, result, fields, self.srv.log_tail()))
        return found

    def test_a_listed_client_gets_554_with_the_lists_reason(self):
        c = self.connect("127.0.0.2")
        r = c.read_reply()
        self.assertReply(r, 554, "5.7.1", client=c)
        self.assertEqual(r.lines[-1], "5.7.1 Service unavailable; client [127.0.0.2] blocked using zen.test; " + REASON)
        self.assertTrue(c.wait_closed(5), c.transcript())
        self.screen_event("127.0.0.2", "dnsbl", zone="zen.test", score="3")

    def test_an_unlisted_client_waits_for_the_greeting_and_is_served(self):
        took, r = self.greeted("127.0.0.3")
        # The multi-line greeting: "220-" first, the session's line after greet_wait.
        self.assertEqual(len(r.lines), 2, r)
        self.assertGreaterEqual(took, GREET_WAIT * 0.9)

    def test_weights_add_up_across_zones(self):
        c = self.connect("127.0.0.5")
        r = c.read_reply()
        self.assertReply(r, 554, "5.7.1", client=c)
        # Named after the zone with the largest weight; bl.test has no TXT record.
        self.assertEqual(r.lines[-1], "5.7.1 Service unavailable; client [127.0.0.5] blocked using bl.test")
        for ip in ("127.0.0.6", "127.0.0.7"):   # below the threshold; a filter that does not match
            self.greeted(ip)

    def test_an_allow_listed_client_skips_the_pregreet_wait(self):
        took, _ = self.greeted("127.0.0.8")
        self.assertLess(took, GREET_WAIT * 0.66)
        self.screen_event("127.0.0.8", "allowlisted")

    def test_error_codes_are_not_listings(self):
        self.greeted("127.0.0.9")    # 127.255.255.254 from err.test, 1 from two.test: below 3
        self.greeted("127.0.0.10")   # 10.0.0.2: outside 127.0.0.0/8
        self.screen_event("127.0.0.9", "dnsbl_error", reply="127.255.255.254", zone="err.test")
        self.screen_event("127.0.0.10", "dnsbl_error", reply="10.0.0.2", zone="zen.test")

    def test_a_pregreeting_client_gets_554_and_is_disconnected(self):
        before = metric(self.srv, "pregreet")
        c = self.connect("127.0.0.11")
        c.send("EHLO early.test\r\n")   # at once, before the greeting is complete
        r = c.read_reply()
        self.assertReply(r, 554, "5.5.1", client=c)
        self.assertEqual(r.lines[-1], "5.5.1 Protocol error")
        self.assertTrue(c.wait_closed(5), c.transcript())
        self.assertIn("EHLO early.test", self.screen_event("127.0.0.11", "pregreet").get("text", ""))
        self.assertEqual(metric(self.srv, "pregreet"), before + 1)

    def test_trusted_clients_are_not_screened(self):
        c = self.connect("127.0.0.1")
        c.send("EHLO trusted.test\r\n")   # no pregreet test for relay_networks
        r = c.read_reply()
        self.assertReply(r, 220, client=c)
        self.assertEqual(len(r.lines), 1, r)
        self.assertReply(c.read_reply(), 250, client=c)

    def test_the_submission_listener_is_not_screened(self):
        c = RawSMTP("127.0.0.1", self.srv.submission_port, timeout=10, source="127.0.0.12")
        self.addCleanup(c.close)
        c.send("EHLO early.test\r\n")
        self.assertReply(c.read_reply(), 220, client=c)
        self.assertReply(c.read_reply(), 250, client=c)


class RateLimitTest(ServerTestCase):
    """max_connection_rate_per_ip and max_message_rate_per_ip, for clients
    in relay_networks too (screen_trusted)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({
            "smtp": {"max_connection_rate_per_ip": 5, "max_message_rate_per_ip": 3},
            "screen": {"screen_trusted": True},
        })

    def test_the_sixth_connection_in_a_minute_gets_421(self):
        for i in range(5):
            c = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source="127.0.0.20")
            self.addCleanup(c.close)
            self.assertReply(c.read_reply(), 220, client=c, msg="(connection %d)" % (i + 1))
            c.cmd("QUIT")
        c = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source="127.0.0.20")
        self.addCleanup(c.close)
        r = c.read_reply()
        self.assertReply(r, 421, "4.7.0", client=c)
        self.assertEqual(r.lines[-1], "4.7.0 %s Error: too many connections from 127.0.0.20" % harness.HOSTNAME)
        self.assertTrue(c.wait_closed(5), c.transcript())
        # Another address has a rate of its own.
        other = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source="127.0.0.21")
        self.addCleanup(other.close)
        self.assertReply(other.read_reply(), 220, client=other)
        self.assertIsNotNone(self.srv.wait_log(lambda e: e.get("event") == "screen" and e.get("client") == "127.0.0.20"
                                               and e.get("result") == "connection_rate"), self.srv.log_tail())

    def test_the_fourth_mail_from_in_a_minute_gets_450(self):
        c = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source="127.0.0.22")
        self.addCleanup(c.close)
        self.assertReply(c.read_reply(), 220, client=c)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        for i in range(3):
            self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, client=c, msg="(MAIL %d)" % (i + 1))
            self.assertReply(c.cmd("RSET"), 250, client=c)
        r = c.cmd("MAIL FROM:<a@example.test>")
        self.assertReply(r, 450, "4.7.1", client=c)
        self.assertEqual(r.lines[-1], "4.7.1 Error: too much mail from 127.0.0.22")
        # The connection goes on; another client is not affected.
        self.assertReply(c.cmd("NOOP"), 250, client=c)
        other = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source="127.0.0.23")
        self.addCleanup(other.close)
        self.assertReply(other.read_reply(), 220, client=other)
        self.assertReply(other.cmd("EHLO client.test"), 250, client=other)
        self.assertReply(other.cmd("MAIL FROM:<a@example.test>"), 250, client=other)


if __name__ == "__main__":
    unittest.main()
