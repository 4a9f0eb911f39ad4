"""Misbehaving clients: too many bad commands, HTTP requests."""

import socket
import time
import unittest

from harness import ServerTestCase


class AbuseTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()   # default max_bad_commands = 20

    def test_too_many_bad_commands(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        c.send(b"".join(b"GARBAGE%d some junk\r\n" % i for i in range(25)))
        replies = []
        try:
            while len(replies) < 26:
                r = c.read_reply(timeout=5)
                replies.append(r)
                if r.code == 421:
                    break
        except EOFError:
            pass
        except (socket.timeout, TimeoutError):
            self.fail("server stopped answering after %d replies: %r\n%s" % (len(replies), replies, c.transcript()))
        codes = [r.code for r in replies]
        self.assertIn(421, codes, "no 421 after 25 bad commands (max_bad_commands 20): %r\n%s" % (codes, c.transcript()))
        n_bad = codes.index(421)
        self.assertTrue(all(500 <= x < 600 for x in codes[:n_bad]), "replies before the 421: %r" % codes)
        self.assertIn(n_bad, (19, 20), "the 421 should come at the 20th/21st bad command, came after %d: %r"
                      % (n_bad, codes))
        self.assertTrue(replies[n_bad].text.startswith("4."), "421 without an enhanced code: %s" % replies[n_bad])
        self.assertClosed(c, 2, "after the 421 for too many bad commands")

    def test_bad_commands_mixed_with_good_still_counted(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        codes = []
        for i in range(30):                       # bounded
            try:
                r = c.cmd("BOGUS%d" % i, timeout=5)
            except EOFError:
                break
            codes.append(r.code)
            if r.code == 421:
                break
            r = c.cmd("NOOP", timeout=5)
            if r.code == 421:      # the 421 may follow the reply to the last bad command
                codes.append(r.code)
                break
            self.assertReply(r, 250, client=c)
        self.assertIn(421, codes, "good commands in between must not reset the bad-command count: %r" % codes)

    def test_http_request_closed_promptly(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        t0 = time.monotonic()
        c.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n")
        closed = c.wait_closed(2.0)
        self.assertTrue(closed, "an HTTP request must get the connection closed promptly\n%s" % c.transcript())
        self.assertLess(time.monotonic() - t0, 2.0)
        # The server must not have answered each header line as an SMTP command.
        replies = b"".join(d for who, d in c.log if who == "S").split(b"\r\n")
        self.assertLessEqual(len([l for l in replies if l.strip()]), 3,
                             "server answered the HTTP headers line by line:\n%s" % c.transcript())

    def test_server_still_fine_after_abuse(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)


if __name__ == "__main__":
    unittest.main()
