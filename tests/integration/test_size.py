"""Large messages and the SIZE limit (RFC 1870)."""

import base64
import os
import time
import unittest

import harness
from harness import ServerTestCase, make_message, verify_local

MiB = 1024 * 1024


def big_message(subject, approx_size):
    """Headers plus about approx_size bytes of base64 in 76-character CRLF lines."""
    head = make_message(subject, [], extra_headers=["MIME-Version: 1.0",
                                                    "Content-Type: application/octet-stream",
                                                    "Content-Transfer-Encoding: base64"])
    b64 = base64.b64encode(os.urandom(approx_size * 3 // 4 * 76 // 78))
    return head + b"\r\n".join([b64[i:i + 76] for i in range(0, len(b64), 76)]) + b"\r\n"


class LargeMessageTest(ServerTestCase):

    def test_20_mib_message(self):
        srv = self.start_server()
        srv.add_user("big@localhost")
        msg = big_message("twenty mebibytes", 20 * MiB)
        self.assertGreater(len(msg), 20 * MiB)
        t0 = time.monotonic()
        c = srv.smtp(timeout=60)
        try:
            qid = harness.send_on(c, "big@example.org", ["big@localhost"], msg, mail_options=["SIZE=%d" % len(msg)])
            c.quit()
        finally:
            c.close()
        took = time.monotonic() - t0
        mid, line = harness.find_mailbox_entry(srv, "big@localhost", qid=qid, marker="twenty mebibytes")
        data = srv.mailbox_show("big@localhost", mid)
        _, received, rest = harness.split_mailbox_message(data, "big@example.org", "big@localhost")
        harness.check_received(self, received, qid)
        self.assertEqual(len(rest), len(msg), "stored size differs (sent in %.1fs)" % took)
        self.assertEqual(harness.sha256(rest), harness.sha256(msg), "stored 20 MiB message differs from what was sent")
        self.assertEqual(line.split()[1], str(len(data)), "mailbox list size: %r" % line)


class SizeLimitTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({"smtp": {"max_message_size": MiB}})
        cls.srv.add_user("limited@localhost")
        cls.srv.add_user("limited2@localhost")
        cls.srv.add_user("limited3@localhost")

    def test_ehlo_advertises_limit(self):
        c = self.srv.smtp()
        try:
            self.assertEqual(c.esmtp_features.get("size"), str(MiB), "EHLO SIZE: %r" % c.esmtp_features)
        finally:
            c.close()

    def test_size_parameter_over_limit(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org> SIZE=%d" % (2 * MiB)), 552, "5.3.4", client=c,
                         msg="MAIL with SIZE over the limit")
        self.assertReply(c.cmd("RCPT TO:<limited@localhost>"), 503, client=c, msg="no transaction after the 552")
        self.assertReply(c.cmd("NOOP"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org> SIZE=%d" % (MiB // 2)), 250, client=c,
                         msg="MAIL with SIZE under the limit")
        self.assertReply(c.cmd("QUIT"), 221, client=c)

    def test_data_over_limit(self):
        before = len(self.srv.mailbox_list("limited@localhost"))
        big = big_message("too big", MiB + MiB // 2)
        c = self.srv.raw(timeout=30)
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<limited@localhost>"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(big + b".\r\n")
        self.assertReply(c.read_reply(), 552, "5.3.4", client=c, msg="after a 1.5 MiB DATA with a 1 MiB limit")
        # The session stays usable.
        self.assertReply(c.cmd("RSET"), 250, client=c, msg="RSET after 552")
        self.assertReply(c.cmd("NOOP"), 250, client=c, msg="NOOP after 552")
        small = make_message("small after big", ["fits"])
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<limited@localhost>"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(small + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c)
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        entries = self.srv.wait_mailbox("limited@localhost", before + 1)   # asynchronous local delivery
        self.assertEqual(len(entries), before + 1, "only the small message may be stored: %r" % entries)
        self.assertFalse(any("too big" in l for _, l in entries), "the oversized message was stored: %r" % entries)
        verify_local(self, self.srv, "limited@localhost", "a@example.org", qid, small, marker="small after big")

    def test_bdat_over_limit(self):
        c = self.srv.raw(timeout=30)
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<limited2@localhost>"), 250, client=c)
        chunk = b"x" * 78 + b"\r\n"
        chunk = chunk * (600 * 1024 // len(chunk))
        c.send(b"BDAT %d\r\n" % len(chunk) + chunk + b"BDAT %d LAST\r\n" % len(chunk) + chunk + b"NOOP\r\n")
        r1, r2, r3 = c.read_replies(3)
        self.assertTrue(552 in (r1.code, r2.code), "one of the BDAT replies must be 552: %s, %s\n%s"
                        % (r1, r2, c.transcript()))
        self.assertNotEqual(r2.code, 250, "BDAT LAST over the limit must not be accepted: %s" % r2)
        self.assertReply(r3, 250, client=c, msg="NOOP after the refused chunks (in sync?)")
        self.assertEqual(self.srv.mailbox_list("limited2@localhost"), [], "nothing may be stored")

    def test_just_under_limit(self):
        msg = big_message("just under", MiB - 64 * 1024)
        self.assertLess(len(msg), MiB - 4096)
        qid = self.srv.send("a@example.org", ["limited3@localhost"], msg, mail_options=["SIZE=%d" % len(msg)])
        verify_local(self, self.srv, "limited3@localhost", "a@example.org", qid, msg, marker="just under")


if __name__ == "__main__":
    unittest.main()
