"""The budget of in-flight message bytes ([smtp] max_inflight_bytes and
max_inflight_bytes_per_ip, docs/ROBUSTNESS.md): sessions past the budget are
not read any more (backpressure) instead of being buffered without bound,
and every message still gets its 250 in the end."""

import threading
import time
import unittest

import harness
from harness import RawSMTP, ServerTestCase
from test_limits import loopback_alias_ok

MIB = 1024 * 1024
BUDGET = 4 * MIB
PER_IP = 2 * MIB
BODY = 3 * MIB          # larger than one address's share: needs the overdraft
SESSIONS_PER_IP = 5
SOURCES = ("127.0.0.2", "127.0.0.3")
PIECE = 64 * 1024
# RSS the in-flight bodies may add: the budget, one overdrawn message and
# allocator slack. Without the budget the server holds all the bodies:
# 10 x 3 MiB.
# Under ASan, freed buffers (a body's string as it grows) stay in the
# allocator's quarantine: twice the bound, still well under 10 x 3 MiB
# doubled the same way.
RSS_BOUND = (BUDGET + BODY + 8 * MIB) * (2 if harness.sanitized_binary() else 1)


def vm_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


class Sender(threading.Thread):
    """One session: the envelope, a body sent slowly, then the final dot
    (with BDAT: the chunk's last byte) once told to."""

    def __init__(self, port, source, index, go, bdat=False):
        super().__init__(daemon=True)
        self.port, self.source, self.index, self.go, self.bdat = port, source, index, go, bdat
        self.body_sent = threading.Event()
        self.reply = None
        self.error = None
        self.client = None

    def run(self):
        try:
            c = self.client = RawSMTP("127.0.0.1", self.port, timeout=30, source=self.source)
            for line, code in ((None, 220), ("EHLO client.test", 250), ("MAIL FROM:<a@client.test>", 250),
                               ("RCPT TO:<b@remote.test>", 250)):
                r = c.read_reply() if line is None else c.cmd(line)
                if r.code != code:
                    raise AssertionError("%s: %s" % (line, r))
            line = (b"%02d" % self.index) + b"x" * 998 + b"\r\n"
            body = b"Subject: inflight %d\r\n\r\n" % self.index + line * (BODY // len(line))
            if self.bdat:
                c.send(b"BDAT %d LAST\r\n" % len(body))
                held, body = body[-1:], body[:-1]
            else:
                r = c.cmd("DATA")
                if r.code != 354:
                    raise AssertionError("DATA: %s" % r)
                held = b".\r\n"
            for i in range(0, len(body), PIECE):
                c.sock.sendall(body[i:i + PIECE])
                time.sleep(0.005)
            self.body_sent.set()
            if not self.go.wait(30):
                raise AssertionError("never told to finish")
            c.send(held)
            self.reply = c.read_reply(timeout=30)
            c.cmd("QUIT")
        except Exception as e:   # reported by the test
            self.error = e
            self.body_sent.set()
        finally:
            if self.client:
                self.client.close()


class InflightBudgetTest(ServerTestCase):

    def test_sessions_past_the_budget_wait_and_all_messages_are_accepted(self):
        for s in SOURCES:
            if not loopback_alias_ok(s):
                harness.missing_dependency(self, "cannot bind %s" % s)
        srv = self.start_server({"smtp": {"max_inflight_bytes": BUDGET, "max_inflight_bytes_per_ip": PER_IP,
                                          "max_message_size": 8 * MIB}})
        pid = srv.proc.pid
        base = vm_rss(pid)
        go = threading.Event()
        # Every other session sends its message with BDAT (RFC 3030).
        senders = [Sender(srv.port, src, i * len(SOURCES) + j, go, bdat=i % 2 == 1)
                   for i in range(SESSIONS_PER_IP) for j, src in enumerate(SOURCES)]
        for s in senders:
            s.start()
        # Every client pushes its body (the kernel's buffers take what the
        # server does not read); none sends the final dot yet. RSS is
        # sampled meanwhile, and for a moment after.
        peak = base
        deadline = time.monotonic() + 5
        settle = None
        while time.monotonic() < deadline:
            peak = max(peak, vm_rss(pid))
            if settle is None and all(s.body_sent.is_set() for s in senders):
                settle = time.monotonic() + 1.0
            if settle is not None and time.monotonic() > settle:
                break
            time.sleep(0.05)
        growth = peak - base
        go.set()
        for s in senders:
            s.join(60)
        for s in senders:
            self.assertFalse(s.is_alive(), "session %d still running" % s.index)
            self.assertIsNone(s.error, "session %d from %s: %r\n%s" % (
                s.index, s.source, s.error, s.client.transcript()[-2000:] if s.client else ""))
            self.assertEqual(s.reply.code, 250, "session %d: %s" % (s.index, s.reply))
        self.assertLess(growth, RSS_BOUND,
                        "RSS grew by %.1f MiB with %d sessions x %d MiB in DATA; budget %d MiB"
                        % (growth / MIB, len(senders), BODY // MIB, BUDGET // MIB))
        waits = srv.log_events("inflight_wait")
        self.assertTrue(waits, "no session was held back (no inflight_wait in the log)")
        w = waits[0]
        self.assertEqual(w["max"], str(BUDGET), w)
        self.assertEqual(w["max_per_ip"], str(PER_IP), w)
        self.assertIn(w["client"], SOURCES, w)
        self.assertFalse(srv.log_events("disconnect") and
                         any(e.get("reason") == "inflight_timeout" for e in srv.log_events("disconnect")))

    def test_a_wait_is_bounded_by_the_data_timeout(self):
        # A holds the whole budget and the overdraft and keeps sending (above
        # min_data_rate); B finds no budget for data_timeout and gets 421.
        srv = self.start_server({"smtp": {"max_inflight_bytes": 2 * MIB, "max_inflight_bytes_per_ip": 0,
                                          "data_timeout": 2, "max_message_size": 8 * MIB}})
        a, b = srv.raw(), srv.raw()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        for c in (a, b):
            for line, code in (("EHLO client.test", 250), ("MAIL FROM:<a@client.test>", 250),
                               ("RCPT TO:<b@remote.test>", 250), ("DATA", 354)):
                self.assertReply(c.cmd(line), code, client=c)
        line = b"y" * 998 + b"\r\n"
        a.sock.sendall(b"Subject: a\r\n\r\n" + line * (3 * MIB // len(line)))
        time.sleep(0.5)
        # More than the chunk B reserved when its DATA began.
        b.sock.sendall(b"Subject: b\r\n\r\n" + line * 512)
        started = time.monotonic()
        got = None
        while time.monotonic() - started < 6 and got is None:
            a.sock.sendall(line)   # 2000 bytes/s: A is never cut
            try:
                got = b.read_reply(timeout=0.5)
            except OSError:   # socket.timeout
                pass
        self.assertIsNotNone(got, "B was never answered while waiting for the budget")
        waited = time.monotonic() - started
        self.assertReply(got, 421, "4.4.2", client=b)
        self.assertGreater(waited, 1.5, "B was cut before data_timeout")
        self.assertClosed(b, 2)
        a.send(b"\r\n.\r\n")
        self.assertReply(a.read_reply(), 250, client=a)
        reasons = [e.get("reason") for e in srv.log_events("disconnect")]
        self.assertIn("inflight_timeout", reasons)


if __name__ == "__main__":
    unittest.main()
