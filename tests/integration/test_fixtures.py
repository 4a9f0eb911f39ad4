"""Self-tests of the delivery-test fixtures (sink.py, dns.py); no ringpost needed."""

import smtplib
import socket
import time
import unittest

import harness
from dns_server import DnsServer, query
from sink import SmtpSink, free_port_on


class SinkTest(unittest.TestCase):

    def sink(self, host="127.0.0.2", **kw):
        s = SmtpSink(host, 0, **kw)
        self.addCleanup(s.stop)
        return s.start()

    def raw(self, s, greet=True):
        c = harness.RawSMTP(s.host, s.port, timeout=5)
        self.addCleanup(c.close)
        if greet:
            r = c.read_reply()
            self.assertEqual(r.code, 220, "sink greeting: %s\n%s" % (r, c.transcript()))
        return c

    def test_smtplib_transaction_dot_unstuffing_and_rset(self):
        s = self.sink()
        msg = b"Subject: t\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n"
        c = smtplib.SMTP(s.host, s.port, local_hostname="client.test", timeout=5)
        try:
            c.ehlo()
            self.assertTrue(c.has_extn("pipelining") and c.has_extn("dsn") and c.has_extn("size"), c.esmtp_features)
            self.assertFalse(c.has_extn("smtputf8") or c.has_extn("chunking"), c.esmtp_features)
            c.sendmail("a@x.test", ["b@y.test", "c@y.test"], msg, mail_options=["BODY=8BITMIME"],
                       rcpt_options=["NOTIFY=SUCCESS"])
            c.rset()
            c.sendmail("a@x.test", ["d@y.test"], b"Subject: 2\r\n\r\nsecond\r\n")
            c.quit()
        finally:
            c.close()
        self.assertTrue(s.wait_messages(2, 5), s.describe())
        m1, m2 = s.snapshot()
        self.assertEqual(m1.mail_from, "a@x.test")
        self.assertEqual(m1.rcpts, ["b@y.test", "c@y.test"])
        self.assertEqual(m1.data, msg, "dot-unstuffed data")
        self.assertEqual(sorted(p.upper() for p in m1.mail_params), ["BODY=8BITMIME", "SIZE=%d" % len(msg)])
        self.assertEqual(m1.rcpt_params, {"b@y.test": ["NOTIFY=SUCCESS"], "c@y.test": ["NOTIFY=SUCCESS"]})
        self.assertEqual((m1.connection, m2.connection), (1, 1))
        self.assertEqual(s.connections, 1)
        self.assertEqual(s.transactions, 2)
        self.assertGreaterEqual(s.rsets, 1)
        self.assertEqual(s.protocol_errors, [])

    def test_pipelined_commands_in_one_write(self):
        s = self.sink()
        c = self.raw(s)
        c.send(b"EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<reject-1@y.test>\r\n"
               b"DATA\r\nSubject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        codes = [c.read_reply().code for _ in range(7)]
        self.assertEqual(codes, [250, 250, 250, 550, 354, 250, 221], c.transcript())
        self.assertTrue(s.wait_messages(1, 5), s.describe())
        self.assertEqual(s.snapshot()[0].rcpts, ["b@y.test"])

    def test_recipient_behaviours(self):
        s = self.sink()
        c = self.raw(s)
        self.assertEqual(c.cmd("EHLO c.test").code, 250)
        self.assertEqual(c.cmd("MAIL FROM:<a@x.test>").code, 250)
        r = c.cmd("RCPT TO:<defer-once-1@y.test>")
        self.assertEqual((r.code, r.first[:5]), (451, "4.3.0"), c.transcript())
        self.assertEqual(c.cmd("RCPT TO:<defer-once-1@y.test>").code, 250, "defer-once: 250 the second time")
        self.assertEqual(c.cmd("RCPT TO:<defer-x@y.test>").code, 451)
        self.assertEqual(c.cmd("RCPT TO:<defer-x@y.test>").code, 451, "defer: always")
        r = c.cmd("RCPT TO:<reject-x@y.test>")
        self.assertEqual((r.code, r.first[:5]), (550, "5.1.1"), c.transcript())
        self.assertEqual(c.cmd("RSET").code, 250)
        self.assertEqual(c.cmd("MAIL FROM:<a@x.test>").code, 250)
        self.assertEqual(c.cmd("RCPT TO:<reject-x@y.test>").code, 550)
        self.assertEqual(c.cmd("DATA").code, 554, "DATA without an accepted recipient")
        c.send(b"RCPT TO:<drop-1@y.test>\r\n")
        self.assertTrue(c.wait_closed(3), "drop: the sink closes the connection at RCPT\n" + c.transcript())
        self.assertEqual([v for _, _, v in s.rcpt_log], ["defer", "ok", "defer", "defer", "reject", "reject", "drop"])
        self.assertEqual(s.messages, [])

    def test_bdat_and_parameter_checks(self):
        s = self.sink(extra_extensions=["CHUNKING", "SMTPUTF8"])
        c = self.raw(s)
        r = c.cmd("EHLO c.test")
        self.assertIn("CHUNKING", r.lines)
        self.assertIn("SMTPUTF8", r.lines)
        self.assertEqual(c.cmd("MAIL FROM:<ü@x.test> SMTPUTF8").code, 250)
        self.assertEqual(c.cmd("RCPT TO:<b@y.test> NOTIFY=FAILURE ORCPT=rfc822;b@y.test").code, 250)
        c.send(b"BDAT 5\r\nabcdeBDAT 3 LAST\r\nfgh")
        self.assertEqual([x.code for x in c.read_replies(2)], [250, 250], c.transcript())
        self.assertTrue(s.wait_messages(1, 5), s.describe())
        self.assertEqual(s.snapshot()[0].data, b"abcdefgh")
        # Parameters the sink did not offer are refused and recorded.
        s2 = self.sink(host="127.0.0.3")
        c2 = self.raw(s2)
        self.assertEqual(c2.cmd("EHLO c.test").code, 250)
        self.assertEqual(c2.cmd("MAIL FROM:<a@x.test> SMTPUTF8").code, 555)
        self.assertEqual(c2.cmd("BDAT 1 LAST").code, 500)
        self.assertEqual(len(s2.protocol_errors), 1, s2.protocol_errors)
        s3 = self.sink(host="127.0.0.4", extensions=["PIPELINING", "8BITMIME"])   # no DSN
        c3 = self.raw(s3)
        self.assertEqual(c3.cmd("EHLO c.test").code, 250)
        self.assertEqual(c3.cmd("MAIL FROM:<a@x.test> RET=HDRS").code, 555)
        self.assertEqual(c3.cmd("MAIL FROM:<a@x.test>").code, 250)
        self.assertEqual(c3.cmd("RCPT TO:<b@y.test> NOTIFY=SUCCESS").code, 555)

    def test_greetings_delay_and_connection_limit(self):
        s554 = self.sink(greeting=(554, "5.3.2 go away"))
        c = self.raw(s554, greet=False)
        self.assertEqual(c.read_reply().code, 554)
        self.assertEqual(c.cmd("EHLO c.test").code, 503)
        self.assertEqual(c.cmd("QUIT").code, 221)
        s421 = self.sink(host="127.0.0.3", greeting=(421, "4.3.2 busy"))
        c = self.raw(s421, greet=False)
        self.assertEqual(c.read_reply().code, 421)
        self.assertTrue(c.wait_closed(3), c.transcript())
        one = self.sink(host="127.0.0.4", max_connections=1)
        c1 = self.raw(one)
        c2 = self.raw(one, greet=False)
        self.assertEqual(c2.read_reply().code, 421, "a second concurrent connection over max_connections")
        self.assertEqual(one.max_concurrent, 2)
        c1.close()
        slow = self.sink(host="127.0.0.5", data_delay=0.3)
        c = self.raw(slow)
        c.cmd("EHLO c.test")
        c.cmd("MAIL FROM:<a@x.test>")
        c.cmd("RCPT TO:<b@y.test>")
        self.assertEqual(c.cmd("DATA").code, 354)
        t0 = time.monotonic()
        self.assertEqual(c.cmd("x\r\n.").code, 250)
        self.assertGreaterEqual(time.monotonic() - t0, 0.25, "the reply to the end of DATA should be delayed")

    def test_free_port_on_several_loopback_addresses(self):
        hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        port = free_port_on(hosts)
        for h in hosts[1:]:
            s = SmtpSink(h, port)
            self.addCleanup(s.stop)
            s.start()
            self.assertEqual(s.port, port)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()   # nothing on .1: refused


class DnsFixtureTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer(
            mx=[("example.test", "mx1.example.test", 10), ("example.test", "mx2.example.test", 20)],
            hosts={"mx1.example.test": ["127.0.0.2"], "mx2.example.test": ["127.0.0.3", "::1"],
                   "amx.test": ["127.0.0.4"]},
            null_mx=["nullmx.test"], nxdomain=["gone.example"])
        cls.addClassCleanup(cls.dns.cleanup)
        cls.dns.start()

    def q(self, name, qtype, tcp=False):
        try:
            return self.dns.query(name, qtype, tcp=tcp)
        except OSError as e:
            self.fail("no answer from dnsmasq for %s %s (tcp=%s): %r\n%s" % (name, qtype, tcp, e, self.dns.diagnostics()))

    def test_mx_records_udp_and_tcp(self):
        for tcp in (False, True):
            r = self.q("example.test", "MX", tcp)
            self.assertEqual(r.rcode_name, "NOERROR", r)
            self.assertEqual(sorted(r.values("MX")), [(10, "mx1.example.test"), (20, "mx2.example.test")], r)

    def test_addresses(self):
        self.assertEqual(self.q("mx1.example.test", "A").values("A"), ["127.0.0.2"])
        self.assertEqual(self.q("mx2.example.test", "AAAA").values("AAAA"), ["::1"])
        r = self.q("amx.test", "MX")
        self.assertEqual((r.rcode_name, r.values("MX")), ("NOERROR", []), "no MX, but the name exists: %r" % r)
        self.assertEqual(self.q("amx.test", "A", tcp=True).values("A"), ["127.0.0.4"])

    def test_null_mx_nxdomain_refused(self):
        self.assertEqual(self.q("nullmx.test", "MX").values("MX"), [(0, "")], "null MX is 'MX 0 .'")
        self.assertEqual(self.q("no-such-domain.test", "MX").rcode_name, "NXDOMAIN")
        self.assertEqual(self.q("gone.example", "MX").rcode_name, "NXDOMAIN")
        self.assertEqual(self.q("example.com", "MX").rcode_name, "REFUSED", "no upstream: names outside the zones")

    def test_port_is_private(self):
        self.assertTrue(self.dns.address.startswith("127.0.0.1:"))
        self.assertNotEqual(self.dns.port, 53)
        r = query(self.dns.port, "example.test", "MX")
        self.assertEqual(r.rcode, 0)


if __name__ == "__main__":
    unittest.main()
