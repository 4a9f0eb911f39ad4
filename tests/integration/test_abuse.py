"""Misbehaving clients: too many bad commands, HTTP requests, recipient
harvesting and junk commands (the error limits of Postfix's smtpd:
soft_error_limit, hard_error_limit, junk_command_limit, error_delay)."""

import socket
import time
import unittest

from harness import ServerTestCase


# A short error delay keeps the tests fast; the limits are the defaults
# (soft_error_limit 10, hard_error_limit 20, junk_command_limit 100).
ERROR_DELAY = 0.2
SOFT_LIMIT = 10
HARD_LIMIT = 20
JUNK_LIMIT = 100
# Lower bounds on measured delays: timers never fire early, but allow for
# clock granularity; no upper bounds (the machine may be busy).
SLACK = 0.8


def read_until_hangup(tc, c, limit, timeout=5):
    """Replies with their arrival times, up to `limit` or a 421, then EOF."""
    out = []
    try:
        while len(out) < limit:
            r = c.read_reply(timeout=timeout)
            out.append((time.monotonic(), r))
            if r.code == 421:
                break
    except EOFError:
        pass
    except (socket.timeout, TimeoutError):
        tc.fail("server stopped answering after %d replies\n%s" % (len(out), c.transcript()))
    return out


class AbuseTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({"smtp": {"error_delay": "%dms" % int(ERROR_DELAY * 1000)}})

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

    def assert_tarpitted_then_cut_off(self, c, replies, first_error):
        """replies[first_error:] are errors: the ones after the soft limit each
        waited ERROR_DELAY, and the last error is followed by 421 and EOF."""
        codes = [r.code for _, r in replies]
        self.assertEqual(len(replies), first_error + HARD_LIMIT + 1,
                         "expected %d errors from reply %d on, then 421: %r\n%s"
                         % (HARD_LIMIT, first_error + 1, codes, c.transcript()))
        last = replies[-1][1]
        self.assertReply(last, 421, "4.7.0", client=c)
        self.assertIn("too many errors", last.text)
        self.assertClosed(c, 2, "after the 421 for too many errors")
        delayed = replies[first_error + HARD_LIMIT - 1][0] - replies[first_error + SOFT_LIMIT - 1][0]
        self.assertGreaterEqual(delayed, (HARD_LIMIT - SOFT_LIMIT) * ERROR_DELAY * SLACK,
                                "replies after the soft error limit were not delayed\n%s" % c.transcript())

    def test_recipient_harvesting_is_tarpitted_then_disconnected(self):
        # Issue 10 item 12: unknown recipients used to get 550 forever, at
        # full speed. Each rejected RCPT is an error: from the 10th on every
        # reply waits error_delay, and the 20th error ends the session.
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<harvester@example.org>"), 250, client=c)
        c.send(b"".join(b"RCPT TO:<nobody%d@localhost>\r\n" % i for i in range(25)))
        replies = read_until_hangup(self, c, 26)
        codes = [r.code for _, r in replies]
        self.assertEqual(codes[:-1], [550] * HARD_LIMIT, "%r\n%s" % (codes, c.transcript()))
        self.assert_tarpitted_then_cut_off(c, replies, 0)

    def test_junk_commands_count_as_errors_past_the_limit(self):
        # NOOP, RSET, VRFY and HELP are free up to junk_command_limit; each
        # one after that counts as an error (delayed, then 421), as in Postfix.
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        junk = [b"NOOP", b"RSET", b"VRFY postmaster", b"HELP"]
        n = JUNK_LIMIT + HARD_LIMIT + 10
        c.send(b"".join(junk[i % len(junk)] + b"\r\n" for i in range(n)))
        replies = read_until_hangup(self, c, n + 1)
        codes = [r.code for _, r in replies]
        self.assertTrue(all(200 <= x < 300 for x in codes[:-1]), "junk replies: %r" % codes)
        self.assert_tarpitted_then_cut_off(c, replies, JUNK_LIMIT)

    def test_bulk_session_with_rset_is_not_limited(self):
        # A bulk sender: many messages per session, 100 recipients each, a
        # few dead addresses, RSET and NOOPs between messages. Accepted
        # recipients are no errors, and an accepted message forgives the
        # errors and junk commands before it (Postfix), so this session
        # never slows down or hangs up although its totals (24 rejected
        # RCPTs, 132 junk commands) are past both limits.
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        valid, dead, junk_per_message = 100, 2, 11
        for m in range(12):
            rcpts = [b"RCPT TO:<bulk%d-%d@remote.test>\r\n" % (m, i) for i in range(valid)]
            rcpts += [b"RCPT TO:<nobody%d-%d@localhost>\r\n" % (m, i) for i in range(dead)]
            c.send(b"MAIL FROM:<list@example.org>\r\n" + b"".join(rcpts) + b"DATA\r\n")
            codes = [r.code for r in c.read_replies(2 + valid + dead, timeout=10)]
            self.assertEqual(codes, [250] + [250] * valid + [550] * dead + [354],
                             "message %d: %r\n%s" % (m, codes, c.transcript()))
            self.assertReply(c.cmd(b"Subject: bulk %d\r\n\r\nHello.\r\n." % m, timeout=10), 250, "2.0.0",
                             client=c, msg="message %d" % m)
            c.send(b"RSET\r\n" + b"NOOP\r\n" * (junk_per_message - 1))
            codes = [r.code for r in c.read_replies(junk_per_message, timeout=10)]
            self.assertEqual(codes, [250] * junk_per_message, "message %d: %r\n%s" % (m, codes, c.transcript()))
        self.assertReply(c.cmd("QUIT"), 221, client=c)

    def test_server_still_fine_after_abuse(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)


class TarpitDoesNotBlockOthersTest(ServerTestCase):
    """The error delay is a timer of the session's ring, not a sleep of the
    thread: with one worker thread, a tarpitted client must not hold up a
    new connection on the same ring."""

    DELAY = 3.0

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({"threads": 1,
                                          "smtp": {"soft_error_limit": 1, "error_delay": int(cls.DELAY)}})

    def test_other_sessions_are_answered_while_one_waits(self):
        a = self.srv.raw()
        self.addCleanup(a.close)
        self.assertReply(a.cmd("FOO"), 500, client=a)     # one error: the soft limit
        t0 = time.monotonic()
        a.send(b"NOOP\r\nNOOP\r\n")                    # each reply now waits DELAY
        b = self.srv.raw()                                  # greeting read here
        self.addCleanup(b.close)
        self.assertReply(b.cmd("EHLO client.test"), 250, client=b)
        self.assertLess(time.monotonic() - t0, self.DELAY * 2 / 3,
                        "a new session waited for another session's error delay")
        self.assertReply(a.read_reply(timeout=self.DELAY * 3), 250, client=a)
        self.assertGreaterEqual(time.monotonic() - t0, self.DELAY * SLACK,
                                "the tarpitted session was not delayed\n%s" % a.transcript())


if __name__ == "__main__":
    unittest.main()
