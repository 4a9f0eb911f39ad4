"""Graceful shutdown on SIGTERM (and SIGINT)."""

import signal
import socket
import time
import unittest

import harness
from harness import ServerTestCase, make_message, verify_local

GRACE = 3


class ShutdownTest(ServerTestCase):

    def test_idle_session_gets_421_and_exit_0(self):
        srv = self.start_server({"smtp": {"shutdown_grace": GRACE}})
        c = srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        t0 = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        try:
            r = c.read_reply(timeout=GRACE + 3)
        except (EOFError, socket.timeout, TimeoutError) as e:
            self.fail("idle session got no 421 after SIGTERM (%r)\n%s" % (e, c.transcript()))
        self.assertReply(r, 421, "4.3.2", client=c, msg="idle session at SIGTERM")
        self.assertClosed(c, 2, "after the shutdown 421")
        try:
            rc = srv.proc.wait(timeout=GRACE + 5)
        except Exception:
            self.fail("ringpost did not exit within %ds of SIGTERM" % (GRACE + 5))
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, "exit code after SIGTERM")
        self.assertLess(took, GRACE + 5)
        # New connections are refused once it is gone.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()

    def test_transaction_in_progress_may_finish(self):
        srv = self.start_server({"smtp": {"shutdown_grace": GRACE}})
        srv.add_user("finish@localhost")
        c = srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<finish@localhost>"), 250, client=c)
        srv.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        msg = make_message("finished during shutdown", ["made it"])
        self.assertReply(c.cmd("DATA"), 354, client=c, msg="DATA within shutdown_grace")
        c.send(msg + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c, msg="message completed within shutdown_grace")
        qid = harness.parse_qid(r.text)
        # After the transaction the session is ended (a 421 at once, or 221 to our QUIT).
        try:
            c.send(b"QUIT\r\n")
            r = c.read_reply(timeout=GRACE + 2)
            self.assertIn(r.code, (221, 421), "after the transaction during shutdown: %s\n%s" % (r, c.transcript()))
        except (EOFError, OSError):
            pass
        self.assertTrue(c.wait_closed(GRACE + 2), "session not closed after its transaction during shutdown\n"
                        + c.transcript())
        rc = srv.proc.wait(timeout=GRACE + 5)
        self.assertEqual(rc, 0, "exit code after SIGTERM")
        # The message is not lost: local delivery follows the 250 asynchronously,
        # so after the shutdown it is either in the INBOX already or still in the
        # spool, and then delivered by the next start.
        if any(qid in mid for mid, _ in srv.mailbox_list("finish@localhost")):
            verify_local(self, srv, "finish@localhost", "a@example.org", qid, msg)
        else:
            harness.verify_queued(self, srv, qid, "a@example.org", ["finish@localhost"], msg)
            srv.start()
            verify_local(self, srv, "finish@localhost", "a@example.org", qid, msg, wait=15)
            srv.stop()

    def test_no_new_sessions_during_shutdown(self):
        srv = self.start_server({"smtp": {"shutdown_grace": GRACE}})
        srv.add_user("busy@localhost")
        c = srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<busy@localhost>"), 250, client=c)   # keeps the server draining
        srv.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        self.assertTrue(srv.running(), "the server should still be draining the open transaction")
        # Stopped accepting: a new connection is refused, or told 421, or closed -- not left hanging.
        try:
            n = harness.RawSMTP("127.0.0.1", srv.port, timeout=1.5)
        except OSError:
            return   # connection refused: fine
        self.addCleanup(n.close)
        try:
            r = n.read_reply()
            self.assertEqual(r.code, 421, "new session during shutdown got %s" % r)
        except EOFError:
            pass
        except OSError:
            self.fail("a connection made during shutdown was accepted by the kernel but got neither a greeting, "
                      "a 421 nor a close within 1.5s (is the listener still open while draining?)\n" + n.transcript())

    def test_stuck_transaction_bounded_by_grace(self):
        srv = self.start_server({"smtp": {"shutdown_grace": GRACE}})
        srv.add_user("stuck@localhost")
        c = srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<stuck@localhost>"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(b"Subject: stuck\r\n\r\npartial")
        t0 = time.monotonic()
        rc, took = srv.terminate(timeout=GRACE + 5)
        self.assertEqual(rc, 0, "exit code after SIGTERM with a stuck transaction")
        self.assertLess(took, GRACE + 5, "shutdown took %.1fs with shutdown_grace %d" % (took, GRACE))
        self.assertGreater(took, GRACE - 1.0, "the transaction should be given shutdown_grace (%ds), exited after %.1fs"
                           % (GRACE, took))
        self.assertTrue(c.wait_closed(2), "the stuck session should be closed\n" + c.transcript())
        self.assertEqual(srv.mailbox_list("stuck@localhost"), [], "the unfinished message must not be stored")

    def test_sigint(self):
        srv = self.start_server({"smtp": {"shutdown_grace": GRACE}})
        srv.send_signal(signal.SIGINT)
        rc = srv.proc.wait(timeout=GRACE + 5)
        self.assertEqual(rc, 0, "exit code after SIGINT")
        # Restart on the same data directory works (no stale lock / admin socket trouble).
        srv.start()
        srv.stop()


if __name__ == "__main__":
    unittest.main()
