"""8-bit messages to a server that does not offer 8BITMIME (RFC 6152 3): the delivery engine converts them to
quoted-printable, or bounces them with 5.6.3 where no conversion is possible. The sink records the bytes that
arrived; they must be 7-bit and decode, with Python's email package, to the original text of every part."""

import email
import email.policy
import unittest

import harness
from harness import make_message
from delivery_base import DeliveryTestCase
from test_delivery_failures import send_raw  # noqa: the function only; its test class stays there

ZONE = dict(
    mx=[("seven.test", "mx.seven.test", 10)],
    hosts={"mx.seven.test": ["127.0.0.2"]},
)

# A receiving server of the 1990s: ESMTP, but no 8BITMIME (and no SMTPUTF8).
SEVEN_BIT_EXTENSIONS = ["PIPELINING", "SIZE", "ENHANCEDSTATUSCODES", "DSN"]

LATIN1 = "Grüße, été, © 1995 – straße".encode("latin-1", "replace")
UTF8 = "Grüße, été, 日本語, 🙂 — ".encode("utf-8")


def is_7bit(data):
    return all(b < 0x80 for b in data)


class EightBitDowngradeTest(DeliveryTestCase):
    ZONE = ZONE

    def deliver(self, sender, msg, rcpt="someone@seven.test", body_param="BODY=8BITMIME"):
        """Sends `msg` (with BODY=8BITMIME unless told otherwise) to rcpt; returns (the arrived message's bytes,
        the server)."""
        sink = self.start_sink("127.0.0.2", extensions=SEVEN_BIT_EXTENSIONS, name="sink without 8BITMIME")
        srv = self.delivery_server(users=[sender])
        qid = send_raw(self, srv, sender, [(rcpt, "")], msg, body_param)
        self.wait_delivery(srv, qid, rcpt, "delivered")
        m = self.wait_sink(sink, 1)[0]
        self.assertEqual(sink.protocol_errors, [], "only what the sink offered may be used\n" + sink.describe())
        self.assertNotIn("BODY=8BITMIME", [p.upper() for p in m.mail_params], sink.describe())
        self.assertTrue(is_7bit(m.data), "8-bit bytes reached a server without 8BITMIME:\n%r" % m.data[:2000])
        for line in m.data.split(b"\r\n"):
            self.assertLessEqual(len(line), 998, "line too long: %r" % line[:100])
        return m.data, srv

    def test_text_message_arrives_quoted_printable_and_decodes_to_the_original(self):
        text = UTF8 + b"\r\n" + b"a long line " * 20 + b"\r\ntrailing blank \r\n.a dot\r\n= sign\r\n"
        head = make_message("8bit text", [], to="someone@seven.test",
                            extra_headers=["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                                           "Content-Transfer-Encoding: 8bit"])
        data, _ = self.deliver("eight@localhost", head + text)
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(msg["Content-Transfer-Encoding"], "quoted-printable", data[:800])
        self.assertEqual(msg["Subject"], "8bit text", "headers are kept")
        self.assertEqual(msg.get_payload(decode=True), text, data)
        self.assertEqual(msg.get_content(), text.decode("utf-8"))

    def test_undeclared_eight_bit_is_converted_too(self):
        # A client that sends 8-bit text without BODY=8BITMIME (and without
        # any MIME header): converted all the same, labelled as RFC 1428 says.
        text = UTF8 + b"\r\nsecond line\r\n"
        head = make_message("undeclared", [], to="someone@seven.test")
        data, _ = self.deliver("undeclared@localhost", head + text, body_param="")
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(msg["Content-Transfer-Encoding"], "quoted-printable", data[:800])
        self.assertEqual(msg.get_content_charset(), "unknown-8bit", data[:800])
        self.assertEqual(msg.get_payload(decode=True), text, data)

    def test_multipart_keeps_its_structure_and_every_part_decodes(self):
        boundary = "=-outer-="
        attached = (b"From: b@example.org\r\nSubject: attached\r\nMIME-Version: 1.0\r\n"
                    b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                    + LATIN1 + b"\r\n")
        head = make_message("8bit multipart", [], to="someone@seven.test",
                            extra_headers=["MIME-Version: 1.0",
                                           'Content-Type: multipart/mixed; boundary="%s"' % boundary])
        body = (b"--" + boundary.encode() + b"\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + UTF8 + b"\r\n"
                b"--" + boundary.encode() + b"\r\n"
                b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                b"AAECAwQF\r\n"
                b"--" + boundary.encode() + b"\r\n"
                b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + attached +
                b"--" + boundary.encode() + b"--\r\n")
        data, _ = self.deliver("multi@localhost", head + body)
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        parts = msg.get_payload()
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "application/octet-stream", "message/rfc822"], data)
        self.assertEqual(parts[0]["Content-Transfer-Encoding"], "quoted-printable")
        self.assertEqual(parts[0].get_payload(decode=True), UTF8, data)
        self.assertEqual(parts[1].get_payload(decode=True), b"\x00\x01\x02\x03\x04\x05", "a base64 part is kept")
        self.assertEqual(parts[2]["Content-Transfer-Encoding"], "7bit", "message/rfc822 may only say 7bit")
        inner = parts[2].get_payload()[0]
        self.assertEqual(inner["Subject"], "attached")
        self.assertEqual(inner["Content-Transfer-Encoding"], "quoted-printable")
        self.assertEqual(inner.get_payload(decode=True), LATIN1, data)   # its last CRLF is the delimiter's

    def test_eight_bit_header_bounces_with_5_6_3(self):
        sink = self.start_sink("127.0.0.2", extensions=SEVEN_BIT_EXTENSIONS, name="sink without 8BITMIME")
        srv = self.delivery_server(users=["hdr@localhost"])
        rcpt = "someone@seven.test"
        msg = (b"From: hdr@localhost\r\nTo: " + rcpt.encode() + b"\r\nSubject: " + UTF8 +
               b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + UTF8 + b"\r\n")
        qid = send_raw(self, srv, "hdr@localhost", [(rcpt, "")], msg, "BODY=8BITMIME")
        ev = self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertEqual(ev.get("dsn"), "5.6.3", ev)
        dsn = self.get_dsns(srv, "hdr@localhost", 1)[0]
        self.check_dsn(dsn, rcpt, "failed", "5.6.3")
        self.assertEqual(sink.messages, [], "nothing is sent that the server cannot take\n" + sink.describe())
        self.assertQueueEmpty(srv)

    def test_eight_bit_base64_part_bounces_with_5_6_3(self):
        sink = self.start_sink("127.0.0.2", extensions=SEVEN_BIT_EXTENSIONS, name="sink without 8BITMIME")
        srv = self.delivery_server(users=["b64@localhost"])
        rcpt = "someone@seven.test"
        msg = make_message("broken base64", [], to=rcpt, extra_headers=[
            "MIME-Version: 1.0", "Content-Type: text/plain", "Content-Transfer-Encoding: base64"]) + UTF8 + b"\r\n"
        qid = send_raw(self, srv, "b64@localhost", [(rcpt, "")], msg, "BODY=8BITMIME")
        ev = self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertEqual(ev.get("dsn"), "5.6.3", ev)
        self.check_dsn(self.get_dsns(srv, "b64@localhost", 1)[0], rcpt, "failed", "5.6.3", diagnostic="base64")
        self.assertEqual(sink.messages, [], sink.describe())

    def test_binarymime_bounces_with_5_6_3(self):
        # RFC 3030 3: binary content is never converted; a server without BINARYMIME cannot have it.
        sink = self.start_sink("127.0.0.2", extensions=SEVEN_BIT_EXTENSIONS + ["CHUNKING"],
                               name="sink without BINARYMIME")
        srv = self.delivery_server(users=["bin@localhost"])
        rcpt = "someone@seven.test"
        msg = make_message("binary", [], to=rcpt, extra_headers=[
            "MIME-Version: 1.0", "Content-Type: application/octet-stream", "Content-Transfer-Encoding: binary"]) + \
            bytes(range(256)) + b"\r\n"
        c = srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<bin@localhost> BODY=BINARYMIME"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, client=c)
        c.send(b"BDAT %d LAST\r\n" % len(msg) + msg)
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c)
        qid = harness.parse_qid(r.text)
        ev = self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertEqual(ev.get("dsn"), "5.6.3", ev)
        self.check_dsn(self.get_dsns(srv, "bin@localhost", 1)[0], rcpt, "failed", "5.6.3", diagnostic="BINARYMIME")
        self.assertEqual(sink.messages, [], sink.describe())

    def test_server_with_8bitmime_gets_the_bytes_unchanged(self):
        sink = self.start_sink("127.0.0.2")   # offers 8BITMIME
        srv = self.delivery_server(users=["fast@localhost"])
        rcpt = "someone@seven.test"
        msg = make_message("8bit as is", [], to=rcpt, extra_headers=[
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit"]) + UTF8 + b"\r\n"
        qid = send_raw(self, srv, "fast@localhost", [(rcpt, "")], msg, "BODY=8BITMIME")
        self.wait_delivery(srv, qid, rcpt, "delivered")
        m = self.wait_sink(sink, 1)[0]
        self.assertIn("BODY=8BITMIME", [p.upper() for p in m.mail_params])
        self.assertTrue(m.data.endswith(msg), "the message is passed on byte for byte:\n%r" % m.data[-400:])


if __name__ == "__main__":
    unittest.main()
