"""8BITMIME bodies and SMTPUTF8 (RFC 6531) addresses."""

import unittest

import harness
from harness import ServerTestCase, make_message, verify_local

UTF8_USER = "üser@localhost"
UTF8_SENDER = "jörg@example.org"


class EightBitTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        cls.srv.add_user("eight@localhost")
        cls.srv.add_user(UTF8_USER)

    def test_8bitmime_body(self):
        head = make_message("8bit body", [], extra_headers=["MIME-Version: 1.0",
                                                            "Content-Type: text/plain; charset=iso-8859-1",
                                                            "Content-Transfer-Encoding: 8bit"])
        body = ("Latin-1: gr\xfc\xdfe, \xe9t\xe9, \xa9\xff\r\n").encode("latin-1") + \
            "UTF-8: grüße, été, ©, 日本語, 🙂\r\n".encode("utf-8") + bytes(range(0x80, 0x100)) + b"\r\n"
        msg = head + body
        qid = self.srv.send("a@example.org", ["eight@localhost"], msg, mail_options=["BODY=8BITMIME"])
        verify_local(self, self.srv, "eight@localhost", "a@example.org", qid, msg, marker="8bit body")

    def test_smtputf8_addresses(self):
        msg = make_message("utf8 envelope", ["Grüße an üser"], sender=UTF8_SENDER, to=UTF8_USER)
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<%s> SMTPUTF8 BODY=8BITMIME" % UTF8_SENDER), 250, client=c,
                         msg="UTF-8 sender with SMTPUTF8")
        self.assertReply(c.cmd("RCPT TO:<%s>" % UTF8_USER), 250, client=c, msg="UTF-8 local user")
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(msg + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c)
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        entries = self.srv.wait_mailbox(UTF8_USER, 1)   # local delivery follows the 250 asynchronously
        self.assertEqual(len(entries), 1, "mailbox list %s: %r" % (UTF8_USER, entries))
        verify_local(self, self.srv, UTF8_USER, UTF8_SENDER, qid, msg, protocol="UTF8SMTP", marker="utf8 envelope")

    def test_utf8_sender_without_smtputf8_rejected(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        r = c.cmd("MAIL FROM:<%s>" % UTF8_SENDER)
        self.assertTrue(500 <= r.code < 600, "UTF-8 sender without SMTPUTF8 must get 5xx, got %s\n%s"
                        % (r, c.transcript()))
        self.assertReply(c.cmd("NOOP"), 250, client=c)

    def test_utf8_recipient_without_smtputf8_rejected(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<plain@example.org>"), 250, client=c)
        r = c.cmd("RCPT TO:<%s>" % UTF8_USER)
        self.assertTrue(500 <= r.code < 600, "UTF-8 recipient without SMTPUTF8 must get 5xx, got %s\n%s"
                        % (r, c.transcript()))


if __name__ == "__main__":
    unittest.main()
