"""Outbound STARTTLS by [delivery.tls] policy: sinks on 127.0.0.x that offer
STARTTLS with a test certificate (tls_sink.py), or offer it and then break the
handshake, or do not offer it, behind a private dnsmasq. Loopback only.

  may     + TLS sink        -> delivered over TLS; the log and the queue say which version/cipher
  may     + broken TLS      -> delivered in plain text on a second connection to the same host
  encrypt + broken TLS      -> deferred, 4.7.5 with the handshake error
  encrypt + no STARTTLS     -> deferred, 4.7.4 "did not offer STARTTLS"
  verify  + CA + right name -> delivered, tls_verified=yes (a domain entry over default "none")
  verify  + wrong name      -> deferred, "hostname mismatch"
  none    + TLS sink        -> plain text, no STARTTLS sent
"""

import shutil
import tempfile

from harness import make_message
from delivery_base import DeliveryTestCase
from tls_sink import TestCerts, TlsSink

CERT_NAME = "mx.tls.test"

ZONE = dict(
    mx=[
        ("tls.test", CERT_NAME, 10),                   # TLS sink, certificate for its name
        ("wrongname.test", "mx.wrongname.test", 10),   # the same sink under another name
        ("broken.test", "mx.broken.test", 10),         # STARTTLS offered, handshake broken
        ("plain.test", "mx.plain.test", 10),           # no STARTTLS
    ],
    hosts={
        CERT_NAME: ["127.0.0.2"],
        "mx.wrongname.test": ["127.0.0.2"],
        "mx.broken.test": ["127.0.0.3"],
        "mx.plain.test": ["127.0.0.4"],
    },
)


class DeliveryTlsTest(DeliveryTestCase):
    ZONE = ZONE

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cert_dir = tempfile.mkdtemp(prefix="ringpost-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.cert_dir, True)
        cls.certs = TestCerts(cls.cert_dir, [CERT_NAME])

    # --- fixtures ---
    def tls_sink(self, host="127.0.0.2", mode="tls"):
        s = TlsSink(host, self.remote_port, certs=self.certs if mode == "tls" else None, mode=mode,
                    name="%s sink %s" % (mode, host))
        self.addCleanup(s.stop)
        s.start()
        self.sinks.append(s)
        return s

    def server(self, default=None, domains=None, ca_file=None):
        tls = {}
        if default:
            tls["default"] = default
        if domains:
            tls["domains"] = domains
        if ca_file:
            tls["ca_file"] = ca_file
        return self.delivery_server({"tls": tls} if tls else None)

    def send(self, srv, rcpts, tag):
        return srv.send("sender@example.org", rcpts, make_message(tag, [tag], to=rcpts[0]))

    def assertTlsEvent(self, ev, verified):
        self.assertTrue(ev.get("tls", "").startswith("TLSv1."), "tls= of %r" % ev)
        self.assertTrue(ev.get("tls_cipher"), "tls_cipher= of %r" % ev)
        self.assertTrue(int(ev.get("tls_bits", "0")) >= 128, "tls_bits= of %r" % ev)
        self.assertEqual(ev.get("tls_verified"), "yes" if verified else "no", "tls_verified= of %r" % ev)

    def wait_deferred(self, srv, qid, rcpt):
        ev = self.wait_delivery(srv, qid, rcpt, "deferred")
        ok, entries = srv.wait_queue(lambda es: any(e["qid"] == qid and e["last_error"] for e in es), timeout=5)
        self.assertTrue(ok, "queue list should show %s with last_error=: %r" % (qid, [e["line"] for e in entries]))
        return ev, next(e for e in entries if e["qid"] == qid)

    # --- cases ---
    def test_may_delivers_over_tls_and_records_it(self):
        sink = self.tls_sink()
        srv = self.server()   # default policy: may
        qid = self.send(srv, ["ok@tls.test", "defer@tls.test"], "may over tls")
        ev = self.wait_delivery(srv, qid, "ok@tls.test", "delivered")
        self.assertTlsEvent(ev, verified=False)   # the test CA is not in the system store
        msgs = self.wait_sink(sink, 1)
        info = sink.tls_info(msgs[0].connection)
        self.assertIsNotNone(info, "the message should have come over TLS\n" + sink.describe())
        self.assertEqual(ev["tls"], info[0], "the log names the version the sink negotiated")
        self.assertEqual(ev["tls_cipher"], info[1], "the log names the cipher the sink negotiated")
        # EHLO again after TLS (RFC 3207 4.2), and STARTTLS only once.
        lines = [t for c, t in sink.client_lines() if c == msgs[0].connection]
        self.assertEqual(lines[:3], ["EHLO " + lines[0].split(" ", 1)[1], "STARTTLS", lines[0]],
                         "EHLO, STARTTLS, EHLO\n" + sink.describe())
        # The deferred recipient: the queue's last result says TLS was used.
        dev, entry = self.wait_deferred(srv, qid, "defer@tls.test")
        self.assertTlsEvent(dev, verified=False)
        self.assertIn("451", entry["last_error"], entry["line"])
        self.assertIn("[tls=%s cipher=%s" % info, entry["last_error"], entry["line"])
        self.assertNotIn("[tls=", dev.get("reply", ""), "the log's reply= is the server's reply only")

    def test_may_retries_in_plain_text_after_a_broken_handshake(self):
        sink = self.tls_sink("127.0.0.3", mode="broken")
        srv = self.server()
        qid = self.send(srv, ["bob@broken.test"], "may broken")
        ev = self.wait_delivery(srv, qid, "bob@broken.test", "delivered")
        self.assertEqual(ev.get("tls"), "none", "delivered in plain text: %r" % ev)
        msgs = self.wait_sink(sink, 1)
        self.assertIsNone(sink.tls_info(msgs[0].connection))
        self.assertGreaterEqual(sink.starttls_count, 1, "STARTTLS was tried first\n" + sink.describe())
        self.assertGreaterEqual(msgs[0].connection, 2, "the plain retry is a new connection\n" + sink.describe())
        self.assertNotIn("STARTTLS", [t for c, t in sink.client_lines() if c == msgs[0].connection],
                         "no STARTTLS on the plain-text retry\n" + sink.describe())
        fb = srv.wait_log(lambda d: d.get("event") == "tls_fallback" and d.get("domain") == "broken.test", 5)
        self.assertIsNotNone(fb, "an event=tls_fallback line names the failed handshake")
        self.assertIn("mx.broken.test", fb.get("relay", ""))

    def test_encrypt_defers_when_the_handshake_fails(self):
        sink = self.tls_sink("127.0.0.3", mode="broken")
        srv = self.server(default="encrypt")
        qid = self.send(srv, ["bob@broken.test"], "encrypt broken")
        ev, entry = self.wait_deferred(srv, qid, "bob@broken.test")
        self.assertEqual(ev.get("dsn"), "4.7.5", "%r" % ev)
        self.assertIn("TLS is required (policy encrypt) but the TLS handshake with mx.broken.test failed",
                      ev.get("reply", ""))
        self.assertIn("4.7.5 TLS is required", entry["last_error"], entry["line"])
        self.assertEqual(sink.snapshot(), [], "nothing may go out in plain text\n" + sink.describe())
        self.assertEqual(sink.transactions, 0, "no MAIL in plain text\n" + sink.describe())

    def test_encrypt_defers_when_starttls_is_not_offered(self):
        sink = self.start_sink("127.0.0.4", name="plain sink")
        srv = self.server(default="encrypt")
        qid = self.send(srv, ["bob@plain.test"], "encrypt plain")
        ev, entry = self.wait_deferred(srv, qid, "bob@plain.test")
        self.assertEqual(ev.get("dsn"), "4.7.4", "%r" % ev)
        self.assertIn("TLS is required (policy encrypt) but mx.plain.test did not offer STARTTLS", ev.get("reply", ""))
        self.assertIn("did not offer STARTTLS", entry["last_error"], entry["line"])
        self.assertEqual(sink.transactions, 0, "no MAIL in plain text\n" + sink.describe())

    def test_verify_with_the_ca_file_and_the_right_name_delivers(self):
        sink = self.tls_sink()
        # The domain's entry wins over the default.
        srv = self.server(default="none", domains={"tls.test": "verify"}, ca_file=self.certs.ca_cert)
        qid = self.send(srv, ["carol@tls.test"], "verify ok")
        ev = self.wait_delivery(srv, qid, "carol@tls.test", "delivered")
        self.assertTlsEvent(ev, verified=True)
        msgs = self.wait_sink(sink, 1)
        self.assertIsNotNone(sink.tls_info(msgs[0].connection), sink.describe())

    def test_verify_with_the_wrong_name_defers(self):
        sink = self.tls_sink()
        srv = self.server(default="verify", ca_file=self.certs.ca_cert)
        qid = self.send(srv, ["dave@wrongname.test"], "verify wrong name")
        ev, entry = self.wait_deferred(srv, qid, "dave@wrongname.test")
        self.assertEqual(ev.get("dsn"), "4.7.5", "%r" % ev)
        reply = ev.get("reply", "")
        self.assertIn("TLS is required (policy verify)", reply)
        self.assertIn("mx.wrongname.test", reply)
        self.assertIn("hostname mismatch", reply.lower())
        self.assertIn("hostname mismatch", entry["last_error"].lower(), entry["line"])
        self.assertEqual(sink.transactions, 0, "nothing may be sent\n" + sink.describe())
        self.assertEqual(sink.snapshot(), [])

    def test_none_stays_in_plain_text_even_when_offered(self):
        sink = self.tls_sink()
        srv = self.server(default="none")
        qid = self.send(srv, ["erin@tls.test"], "none")
        ev = self.wait_delivery(srv, qid, "erin@tls.test", "delivered")
        self.assertEqual(ev.get("tls"), "none", "%r" % ev)
        msgs = self.wait_sink(sink, 1)
        self.assertIsNone(sink.tls_info(msgs[0].connection))
        self.assertEqual(sink.starttls_count, 0, "no STARTTLS under policy none\n" + sink.describe())
