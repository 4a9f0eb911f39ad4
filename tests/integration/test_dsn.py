"""DSN parameters (RFC 3461) are parsed, xtext-decoded and kept in the envelope."""

import re
import unittest

import harness
from harness import ServerTestCase, make_message, verify_queued


class DsnTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def test_dsn_parameters_stored(self):
        msg = make_message("dsn params", ["with DSN"], to="r@remote.test")
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<s@x.test> RET=HDRS ENVID=abc+2Bdef"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<r@remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;r+40remote.test"),
                         250, client=c)
        self.assertReply(c.cmd("RCPT TO:<q@remote.test> NOTIFY=NEVER"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(msg + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c)
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        env = verify_queued(self, self.srv, qid, "s@x.test", ["r@remote.test", "q@remote.test"], msg)
        self.assertIn("abc+def", env, "ENVID should be shown xtext-decoded ('abc+def'):\n" + env)
        self.assertNotIn("abc+2Bdef", env, "ENVID shown still xtext-encoded:\n" + env)
        self.assertIn("rfc822;r@remote.test", env, "ORCPT should be shown decoded ('rfc822;r@remote.test'):\n" + env)
        self.assertRegex(env, r"(?i)\b(hdrs|headers)\b", "RET=HDRS not shown:\n" + env)
        self.assertRegex(env, r"(?i)success", "NOTIFY=SUCCESS not shown:\n" + env)
        self.assertRegex(env, r"(?i)failure", "NOTIFY=FAILURE not shown:\n" + env)
        self.assertRegex(env, r"(?i)never", "NOTIFY=NEVER not shown:\n" + env)
        # The NOTIFY flags belong to r@, not to q@ (NEVER).
        self.assertTrue(any(re.search(r"(?i)success", l) for l in env.splitlines() if "r@remote.test" in l),
                        "NOTIFY=SUCCESS should be on the line of r@remote.test:\n" + env)

    def test_bad_dsn_parameters(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<s@x.test> RET=BOGUS"), 501, "5.5.4", client=c, msg="RET=BOGUS")
        self.assertReply(c.cmd("MAIL FROM:<s@x.test> ENVID=bad+ZZ"), 501, "5.5.4", client=c, msg="bad xtext in ENVID")
        self.assertReply(c.cmd("MAIL FROM:<s@x.test> RET=FULL"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<r@remote.test> NOTIFY=NEVER,SUCCESS"), 501, "5.5.4", client=c,
                         msg="NOTIFY=NEVER combined with SUCCESS (RFC 3461 4.1)")
        self.assertReply(c.cmd("RCPT TO:<r@remote.test> NOTIFY=SOMETIMES"), 501, "5.5.4", client=c,
                         msg="NOTIFY=SOMETIMES")
        self.assertReply(c.cmd("RCPT TO:<r@remote.test> NOTIFY=DELAY"), 250, client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)


if __name__ == "__main__":
    unittest.main()
