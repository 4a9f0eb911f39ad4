"""Command and data timeouts: idle clients and slowloris are cut off while others proceed."""

import socket
import threading
import time
import unittest

import harness
from harness import ServerTestCase, make_message, verify_local

TIMEOUT = 2          # command_timeout and data_timeout in this server
LATEST = 4.5         # the 421 must come within this many seconds of the last "progress"


class TimeoutTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({"smtp": {"command_timeout": TIMEOUT, "data_timeout": TIMEOUT}})
        for u in ("normal@localhost", "data.timeout@localhost", "chatty@localhost"):
            cls.srv.add_user(u)

    def expect_timeout_421(self, c, since, what):
        try:
            r = c.read_reply(timeout=LATEST + 3)
        except (socket.timeout, TimeoutError):
            self.fail("%s: no reply within %.1fs (expected 421 4.4.2 after %ds)\n%s"
                      % (what, LATEST + 3, TIMEOUT, c.transcript()))
        except EOFError:
            self.fail("%s: closed without a 421 reply\n%s" % (what, c.transcript()))
        took = time.monotonic() - since
        self.assertReply(r, 421, "4.4.2", client=c, msg="(%s)" % what)
        self.assertGreaterEqual(took, TIMEOUT - 0.5, "%s: 421 came too early (%.2fs, timeout %ds)" % (what, took, TIMEOUT))
        self.assertLessEqual(took, LATEST, "%s: 421 came after %.2fs (timeout %ds)\n%s" % (what, took, TIMEOUT, c.transcript()))
        self.assertClosed(c, 1.5, "after the timeout 421 (%s)" % what)
        return took

    def test_idle_and_slowloris_cut_off_while_normal_client_proceeds(self):
        idle = self.srv.raw()
        t_idle = time.monotonic()
        self.addCleanup(idle.close)
        slow = self.srv.raw()
        t_slow = time.monotonic()
        self.addCleanup(slow.close)
        stop = threading.Event()
        sent = []

        def slowloris():
            line = b"EHLO slowloris.example.org and a long tail that never ends"
            for i in range(12):                      # bounded: at most 12 bytes over ~12 s
                if stop.wait(0 if i == 0 else 1.0):
                    return
                try:
                    slow.sock.send(line[i:i + 1])
                    sent.append(time.monotonic())
                except OSError:
                    return

        th = threading.Thread(target=slowloris, daemon=True)
        th.start()
        self.addCleanup(stop.set)

        # A normal client completes a whole transaction meanwhile, promptly.
        t0 = time.monotonic()
        msg = make_message("normal during slowloris", ["not starved"])
        qid = self.srv.send("n@example.org", ["normal@localhost"], msg)
        took = time.monotonic() - t0
        self.assertLess(took, TIMEOUT - 0.1, "a normal transaction took %.2fs while slow clients were connected" % took)

        self.expect_timeout_421(idle, t_idle, "idle client sending nothing")
        took_slow = self.expect_timeout_421(slow, t_slow, "slowloris sending 1 byte/s without a newline")
        stop.set()
        th.join(3)
        self.assertGreaterEqual(len(sent), 2, "slowloris should have sent a few bytes before the cut-off")
        verify_local(self, self.srv, "normal@localhost", "n@example.org", qid, msg)

    def start_data(self):
        """A session to data.timeout@localhost, past DATA's 354."""
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<d@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<data.timeout@localhost>"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        return c

    def test_data_timeout(self):
        c = self.start_data()
        c.send(b"Subject: never finished\r\n\r\nsome data but no end\r\n")
        t = time.monotonic()
        self.expect_timeout_421(c, t, "client stalled in DATA")
        self.assertEqual(self.srv.mailbox_list("data.timeout@localhost"), [], "an unfinished message was stored")

    def test_data_slower_than_min_data_rate_is_cut_off(self):
        # Postfix's smtpd_min_data_rate: each read in DATA buys n/500 seconds
        # and costs the time it took, never more than data_timeout in hand.
        # A byte every 0.4 s (2.5 bytes/s) used to hold the session forever,
        # as every read started the data timeout anew.
        c = self.start_data()
        t = time.monotonic()
        stop = threading.Event()
        self.addCleanup(stop.set)

        def trickle():
            for b in b"Subject: drip, drip\r\n\r\n"[:25]:   # bounded: 25 bytes over <= 10 s
                if stop.wait(0.4):
                    return
                try:
                    c.sock.send(bytes([b]))
                except OSError:
                    return

        th = threading.Thread(target=trickle, daemon=True)
        th.start()
        self.expect_timeout_421(c, t, "client sending 2.5 bytes/s in DATA")
        stop.set()
        th.join(3)
        self.assertEqual(self.srv.mailbox_list("data.timeout@localhost"), [], "an unfinished message was stored")

    def test_active_client_not_timed_out(self):
        # The timeout is per command: a session that keeps talking lives on.
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        t_end = time.monotonic() + 2 * TIMEOUT + 1
        while time.monotonic() < t_end:
            time.sleep(TIMEOUT * 0.6)
            self.assertReply(c.cmd("NOOP"), 250, client=c, msg="NOOP in a session older than command_timeout")
        self.assertReply(c.cmd("MAIL FROM:<c@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<chatty@localhost>"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        # Data trickles in over more than data_timeout, each block well within
        # it and above min_data_rate (500 bytes/s by default): 700 bytes every
        # 0.9 s.
        msg = make_message("chatty", ["still here", "x" * 2000])
        for i in range(0, len(msg), 700):
            c.send(msg[i:i + 700])
            time.sleep(TIMEOUT * 0.45)
        c.send(b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c, msg="data sent in slow but steady blocks")
        qid = harness.parse_qid(r.text)
        # The command timeout starts anew with the reply to the data: a command
        # 0.3 s later is in time, although the DATA phase took longer than
        # command_timeout.
        time.sleep(0.3)
        self.assertReply(c.cmd("NOOP"), 250, client=c, msg="NOOP 0.3s after the 250 to a DATA phase that lasted "
                         "longer than command_timeout (%ds)" % TIMEOUT)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        verify_local(self, self.srv, "chatty@localhost", "c@example.org", qid, msg)


if __name__ == "__main__":
    unittest.main()
