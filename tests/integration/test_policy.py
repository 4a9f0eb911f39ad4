"""Recipient policy: relay access, unknown users, max_recipients."""

import unittest

import harness
from harness import ServerTestCase, make_message, verify_local


class PolicyTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        # Loopback is NOT a relay network here.
        cls.srv = cls.start_class_server({"smtp": {"max_recipients": 3},
                                          "relay": {"relay_networks": ["10.0.0.0/8"]}})
        for u in ("p1@localhost", "p2@localhost", "p3@localhost", "p4@localhost", "r1@localhost"):
            cls.srv.add_user(u)

    def test_relay_denied_local_accepted(self):
        msg = make_message("relay denied but local ok", ["hi"])
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<x@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<victim@remote.example>"), 554, "5.7.1", client=c,
                         msg="remote domain from a non-relay network")
        self.assertReply(c.cmd("RCPT TO:<someone@localhost.remote.example>"), 554, "5.7.1", client=c,
                         msg="a domain that merely contains a local domain name")
        self.assertReply(c.cmd("RCPT TO:<r1@localhost>"), 250, "2.1.5", client=c, msg="local user, from anyone")
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(msg + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c)
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        verify_local(self, self.srv, "r1@localhost", "x@example.org", qid, msg)
        # The message leaves the spool once its local recipient is delivered (asynchronously).
        left = self.srv.wait_queue_empty(timeout=10)
        self.assertEqual(left, [], "nothing may wait in the spool for the denied recipients")

    def test_unknown_local_user(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<x@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<nobody@localhost>"), 550, "5.1.1", client=c, msg="unknown local user")
        self.assertReply(c.cmd("RCPT TO:<nobody@local.test>"), 550, "5.1.1", client=c,
                         msg="unknown user in the second local domain")
        r = c.cmd("DATA")
        self.assertIn(r.code, (503, 554), "DATA with no accepted recipient: %s\n%s" % (r, c.transcript()))
        self.assertReply(c.cmd("QUIT"), 221, client=c)

    def test_too_many_recipients(self):
        msg = make_message("three of four", ["only three get it"])
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<x@example.org>"), 250, client=c)
        for u in ("p1", "p2", "p3"):
            self.assertReply(c.cmd("RCPT TO:<%s@localhost>" % u), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<p4@localhost>"), 452, "4.5.3", client=c, msg="4th RCPT with max_recipients 3")
        self.assertReply(c.cmd("DATA"), 354, client=c, msg="the transaction continues with 3 recipients")
        c.send(msg + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c)
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        for u in ("p1", "p2", "p3"):
            verify_local(self, self.srv, "%s@localhost" % u, "x@example.org", qid, msg)
        self.assertEqual(self.srv.mailbox_list("p4@localhost"), [], "p4 got the message beyond max_recipients")


if __name__ == "__main__":
    unittest.main()
