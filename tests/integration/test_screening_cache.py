"""The screening's pass cache ([screen] dnsbl_ttl, pregreet_ttl;
docs/INBOUND.md "Screening"), as postscreen's postscreen_cache_map: a
client that passed the DNSBL check and the pregreet test is greeted at
once on its next connection (one "220" line, no greet wait, no DNS query:
neither in ringpost's lookup counter nor in dnsmasq's query log); once a
pass runs out that test is run again; a listed client and an early talker
are not remembered (under pregreet = "ignore" an early talker is served and
keeps its DNSBL pass, but is tested for pregreeting again); the passes
survive a restart. Also the IPv6 DNSBL
name: a client on ::1 is looked up under the RFC 5782 nibble-reversed
name (32 nibbles) and blocked when the zone lists it. Clients take their
source address from 127.0.0.30 and up, each test its own."""

import time

import harness
from dns_server import DnsServer
from harness import RawSMTP, ServerTestCase

GREET_WAIT = 1.2   # seconds: every screened client without a pregreet pass waits this long
DNSBL_TTL = 4.0    # seconds, in ScreenCacheTest

LISTED_V4 = "127.0.0.35"
V6_NAME = ".".join(["1"] + ["0"] * 31) + ".zen.test"   # ::1, RFC 5782 2.4


def zone(ip):
    return "%s.zen.test" % ".".join(reversed(ip.split(".")))


def screen_config(dns, **screen):
    base = {"dnsbl_sites": ["zen.test"], "dnsbl_timeout": "2s", "pregreet": "enforce",
            "greet_wait": "%dms" % int(GREET_WAIT * 1000)}
    base.update(screen)
    return {
        # Only 127.0.0.1 is trusted: the other loopback addresses and ::1 are screened.
        "relay": {"relay_networks": ["127.0.0.1/32"]},
        "delivery": {"dns_servers": [dns.address]},
        "inbound": {"spf": "off", "dkim": "off", "dmarc": "off"},
        "screen": base,
    }


class CacheBase(ServerTestCase):

    @classmethod
    def start_dns(cls):
        if not harness.loopback_alias_ok("127.0.0.30"):
            harness.missing_dependency(None, "binding 127.0.0.30 as a source address")
        cls.dns = DnsServer(hosts={zone(LISTED_V4): ["127.0.0.2"], V6_NAME: ["127.0.0.2"]}).start()
        cls.addClassCleanup(cls.dns.cleanup)

    def connect(self, source, host="127.0.0.1"):
        c = RawSMTP(host, self.srv.port, timeout=10, source=source)
        self.addCleanup(c.close)
        return c

    def greeted(self, source):
        """A patient client: (seconds the greeting took, the greeting), then EHLO works."""
        return self.patient_client(self.srv, source)

    def lookups(self, result="not_listed"):
        return self.srv.counter("ringpost_dnsbl_lookups_total", result)

    def screened(self, result):
        return self.srv.counter("ringpost_screen_total", result)

    def wait_queries(self, name, n):
        """dnsmasq writes its log on its own: wait (bounded) for n queries of `name`."""
        deadline = time.monotonic() + 3
        while self.dns.queries(name) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.dns.queries(name)

    def assert_screens(self, source, expected):
        """The `screen` fields of the connect lines of `source`, in order
        (the log is written by a thread of its own: waited for, bounded)."""
        deadline = time.monotonic() + 5
        while True:
            got = [e.get("screen") for e in self.srv.log_events("connect") if e.get("client") == source]
            if got == expected or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(got, expected, self.srv.log_tail())

    def assert_full_screening(self, source):
        """The first connection: the multi-line greeting after greet_wait, one query."""
        took, r = self.greeted(source)
        self.assertGreaterEqual(took, GREET_WAIT * 0.9)
        self.assertEqual(len(r.lines), 2, r)
        self.assertEqual(self.wait_queries(zone(source), 1), 1, self.dns.log_tail())

    def assert_cached_greeting(self, source):
        """A connection within both TTLs: one "220" line at once, no DNS query."""
        lookups, cached = self.lookups(), self.screened("cached")
        took, r = self.greeted(source)
        self.assertLess(took, GREET_WAIT * 0.5)
        self.assertEqual(len(r.lines), 1, r)   # no "220-" line: nothing was tested
        self.assertEqual(self.lookups(), lookups)
        self.assertEqual(self.screened("cached"), cached + 1)
        time.sleep(0.3)   # had there been a query, dnsmasq would have logged it by now
        self.assertEqual(self.dns.queries(zone(source)), 1, self.dns.log_tail())


class ScreenCacheTest(CacheBase):

    @classmethod
    def setUpClass(cls):
        cls.start_dns()
        cls.ipv6 = harness.ipv6_available()
        cls.srv = cls.start_class_server(screen_config(cls.dns, dnsbl_ttl="%dms" % int(DNSBL_TTL * 1000),
                                                       pregreet_ttl="1h"), ipv6=cls.ipv6)

    def test_a_passed_client_is_greeted_at_once_until_its_dnsbl_pass_runs_out(self):
        src = "127.0.0.30"
        self.assert_full_screening(src)
        passed = time.monotonic()
        self.assert_cached_greeting(src)
        self.assert_screens(src, ["pass", "cached"])
        # The DNSBL pass has run out, the pregreet pass holds: the lists are
        # asked again, but the greeting does not wait.
        time.sleep(max(0.0, passed + DNSBL_TTL + 0.2 - time.monotonic()))
        lookups = self.lookups()
        took, r = self.greeted(src)
        self.assertLess(took, GREET_WAIT * 0.5)
        self.assertEqual(len(r.lines), 1, r)
        # Asked by the screening (the counter); the worker's resolver may
        # answer from its cache (a negative answer without an SOA is kept
        # for minutes), so dnsmasq's log need not show a second query.
        self.assertEqual(self.lookups(), lookups + 1)
        self.assert_screens(src, ["pass", "cached", "pass"])

    def test_a_listed_client_is_not_remembered(self):
        listed = self.lookups("listed")
        for _ in range(2):
            c = self.connect(LISTED_V4)
            r = c.read_reply()
            self.assertReply(r, 554, "5.7.1", client=c)
            self.assertTrue(c.wait_closed(5), c.transcript())
        self.assertEqual(self.lookups("listed"), listed + 2)

    def test_an_early_talker_is_tested_again(self):
        for _ in range(2):
            c = self.connect("127.0.0.31")
            c.send("EHLO early.test\r\n")
            r = c.read_reply()
            # "220-" first each time: no pass was remembered.
            self.assertEqual(r.code, 554, c.transcript())
            self.assertTrue(c.transcript().count("220-"), c.transcript())
            self.assertTrue(c.wait_closed(5), c.transcript())

    def test_an_ipv6_client_is_looked_up_by_its_nibbles_and_blocked(self):
        if not self.ipv6:
            harness.missing_dependency(self, "no IPv6 loopback (::1) on this machine")
        listed = self.lookups("listed")
        c = self.connect(None, host="::1")
        r = c.read_reply()
        self.assertReply(r, 554, "5.7.1", client=c)
        self.assertEqual(r.lines[-1], "5.7.1 Service unavailable; client [::1] blocked using zen.test")
        self.assertTrue(c.wait_closed(5), c.transcript())
        self.assertEqual(self.lookups("listed"), listed + 1)
        self.assertGreaterEqual(self.wait_queries(V6_NAME, 1), 1, self.dns.log_tail())


class ScreenCacheRestartTest(CacheBase):

    @classmethod
    def setUpClass(cls):
        cls.start_dns()
        cls.srv = cls.start_class_server(screen_config(cls.dns, dnsbl_ttl="1h", pregreet_ttl="1h"))

    def test_a_pass_survives_a_restart(self):
        src = "127.0.0.32"
        self.assert_full_screening(src)
        self.srv.stop()
        self.srv.start()
        self.assertIsNotNone(self.srv.wait_log(lambda e: e.get("event") == "screen_cache" and e.get("records") == "1"),
                             self.srv.log_tail())
        self.assert_cached_greeting(src)
        self.assertIn("cached", [e.get("screen") for e in self.srv.log_events("connect") if e.get("client") == src])


class ScreenCacheIgnoreTest(CacheBase):

    @classmethod
    def setUpClass(cls):
        cls.start_dns()
        cls.srv = cls.start_class_server(screen_config(cls.dns, pregreet="ignore", dnsbl_ttl="1h", pregreet_ttl="1h"))

    def test_an_ignored_early_talker_keeps_its_dnsbl_pass_only(self):
        src = "127.0.0.33"
        c = self.connect(src)
        c.send("EHLO early.test\r\n")   # before the greeting: logged and served under "ignore"
        r = c.read_reply()
        self.assertReply(r, 220, client=c)
        self.assertEqual(len(r.lines), 2, r)
        self.assertReply(c.read_reply(), 250, client=c)   # the early EHLO's answer
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        self.assertEqual(self.wait_queries(zone(src), 1), 1, self.dns.log_tail())
        self.assert_screens(src, ["pregreet_ignored"])
        # The next connection: the lists' pass holds (no lookup, no query),
        # the pregreet test runs again (the "220-" line after greet_wait).
        lookups = self.lookups()
        took, r = self.greeted(src)
        self.assertGreaterEqual(took, GREET_WAIT * 0.9)
        self.assertEqual(len(r.lines), 2, r)
        self.assertEqual(self.lookups(), lookups)
        self.assert_screens(src, ["pregreet_ignored", "pass"])
        time.sleep(0.3)   # had there been a query, dnsmasq would have logged it by now
        self.assertEqual(self.dns.queries(zone(src)), 1, self.dns.log_tail())
        # That pregreet pass is remembered now: the third is greeted at once.
        self.assert_cached_greeting(src)


if __name__ == "__main__":
    import unittest
    unittest.main()
