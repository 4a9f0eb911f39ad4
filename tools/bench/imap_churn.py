#!/usr/bin/env python3
"""imap_churn.py: IMAP write traffic for imap-churn-bench.sh (issue 12 item 2).

  imap_churn.py setup PORT USER PASSWORD SESSIONS
      creates the mailboxes churn0 .. churn{SESSIONS-1}.
  imap_churn.py flag PORT USER PASSWORD SESSIONS SECONDS
      SESSIONS sessions, each in its own mailbox, loop as fast as they can
      over APPEND, UID STORE +FLAGS (\\Seen), UID STORE +FLAGS (\\Deleted),
      UID EXPUNGE of one message (four store writes per round), for SECONDS
      or until the file named by $STOP_FILE exists. Prints the writes done.
  imap_churn.py churn PORT USER PASSWORD EXPUNGES STEP
      one session, mailbox "history": 10 live messages, then EXPUNGES
      rounds of APPEND (\\Deleted) + UID EXPUNGE of that message; before the
      first round and every STEP rounds, the median time of 21 SELECTs of
      the mailbox (client side, loopback), and once more after a 3 s pause.
Loopback only; every loop bounded by a count or SECONDS.
"""

import os
import re
import socket
import statistics
import sys
import threading
import time

BODY = ("From: <bench@src.test>\r\nTo: <bench@localhost>\r\nSubject: churn\r\n\r\n" + "x" * 60 + "\r\n") * 4


class Session:
    def __init__(self, port, user, password):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.buf = b""
        self.n = 0
        self.line()  # greeting
        ok = self.command('LOGIN "%s" "%s"' % (user, password))
        assert b" OK" in ok, ok

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(1 << 16)
            if not d:
                raise EOFError("server closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self, text, literal=None):
        """Sends `tag text` (with a LITERAL+ literal); returns the tagged reply."""
        self.n += 1
        tag = b"T%d" % self.n
        if literal is None:
            self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        else:
            self.sock.sendall(tag + b" " + text.encode() + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        while True:
            line = self.line()
            if line.startswith(tag + b" "):
                return line

    def append(self, mailbox, flags):
        reply = self.command("APPEND %s (%s)" % (mailbox, flags), BODY.encode())
        m = re.search(rb"APPENDUID \d+ (\d+)", reply)
        assert m, reply
        return int(m.group(1))


def setup(port, user, password, sessions):
    s = Session(port, user, password)
    for i in range(sessions):
        s.command("CREATE churn%d" % i)
    s.command("CREATE history")


def flag(port, user, password, sessions, seconds):
    deadline = time.monotonic() + seconds
    stop_file = os.environ.get("STOP_FILE", "")
    writes = [0] * sessions
    errors = [0] * sessions

    def one(i):
        s = Session(port, user, password)
        box = "churn%d" % i
        s.command("SELECT " + box)
        while time.monotonic() < deadline and not (stop_file and os.path.exists(stop_file)):
            uid = s.append(box, "")
            for text in ("UID STORE %d +FLAGS (\\Seen)" % uid, "UID STORE %d +FLAGS (\\Deleted)" % uid,
                         "UID EXPUNGE %d" % uid):
                if b" OK" not in s.command(text):
                    errors[i] += 1
            writes[i] += 4

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(sessions)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    took = time.monotonic() - start
    print("imap-churn: %d IMAP writes in %.1f s (%.0f/s) over %d sessions, %d not OK"
          % (sum(writes), took, sum(writes) / took, sessions, sum(errors)))


def select_ms(s):
    times = []
    for _ in range(21):
        t0 = time.perf_counter()
        reply = s.command("SELECT history")
        times.append((time.perf_counter() - t0) * 1000)
        assert b" OK" in reply, reply
    return statistics.median(times)


def churn(port, user, password, expunges, step):
    s = Session(port, user, password)
    for _ in range(10):
        s.append("history", "")
    s.command("SELECT history")
    print("imap-churn: after %6d expunges: SELECT %.3f ms" % (0, select_ms(s)), flush=True)
    t0 = time.monotonic()
    for i in range(1, expunges + 1):
        uid = s.append("history", "\\Deleted")
        reply = s.command("UID EXPUNGE %d" % uid)
        assert b" OK" in reply, reply
        if i % step == 0 or i == expunges:
            print("imap-churn: after %6d expunges: SELECT %.3f ms" % (i, select_ms(s)), flush=True)
    took = time.monotonic() - t0
    time.sleep(3)
    print("imap-churn: after %6d expunges + 3 s: SELECT %.3f ms  (churn took %.1f s)" % (expunges, select_ms(s), took))


if __name__ == "__main__":
    mode, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode == "setup":
        setup(port, user, password, int(sys.argv[5]))
    elif mode == "flag":
        flag(port, user, password, int(sys.argv[5]), float(sys.argv[6]))
    else:
        churn(port, user, password, int(sys.argv[5]), int(sys.argv[6]))
