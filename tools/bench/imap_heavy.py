#!/usr/bin/env python3
"""imap_heavy.py: expensive IMAP sessions for imap-stall-bench.sh (issue 11 item 4).

  imap_heavy.py setup PORT SMTP_PORT USER PASSWORD
      40 mailboxes with 1,000-byte names, and a 1 MiB message with a
      4,000-byte needle near its end delivered to INBOX over SMTP.
  imap_heavy.py run PORT USER PASSWORD SESSIONS SECONDS
      SESSIONS logged-in sessions that loop, for SECONDS, over: LIST with
      "(*a)*15000 b" (the issue's pattern; BAD, so only the
      first 10 rounds), LIST with 1,000 wildcards over
      the long names, and SEARCH BODY with the 4,000-byte needle. Prints
      how many commands ran and how they were answered. Stops early once
      the file named by $STOP_FILE exists.
Loopback only; every loop bounded by SECONDS.
"""

import os
import smtplib
import socket
import sys
import threading
import time

NEEDLE = ("needle-%04d " % 7) * 333 + "x" * 4
OVER_LIMIT = "*a" * 15000 + " b"
WITHIN_LIMIT = "*a" * 998 + "%/*"


def command(sock, buf, tag, text, deadline):
    """Send `tag text`; the tagged reply line (untagged lines are skipped)."""
    sock.sendall(("%s %s\r\n" % (tag, text)).encode())
    prefix = tag.encode() + b" "
    while True:
        while b"\r\n" not in buf[0]:
            if time.monotonic() > deadline + 300:
                raise TimeoutError(text[:40])
            d = sock.recv(1 << 20)
            if not d:
                raise EOFError("server closed")
            buf[0] += d
        line, buf[0] = buf[0].split(b"\r\n", 1)
        if line.startswith(prefix):
            return line


def login(port, user, password):
    s = socket.create_connection(("127.0.0.1", port), timeout=300)
    buf = [b""]
    while b"\r\n" not in buf[0]:
        buf[0] += s.recv(4096)
    buf[0] = buf[0].split(b"\r\n", 1)[1]   # the greeting
    line = command(s, buf, "L", 'LOGIN "%s" "%s"' % (user, password), time.monotonic())
    assert b" OK " in line, line
    return s, buf


def setup(port, smtp_port, user, password):
    body = ("the quick brown fox jumps over the lazy dog " * 2 + "\r\n") * 11600 + NEEDLE + "\r\nend\r\n"
    msg = "From: <bench@src.test>\r\nTo: <%s>\r\nSubject: big\r\n\r\n%s" % (user, body)
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as c:
        c.sendmail("bench@src.test", [user], msg.encode())
    s, buf = login(port, user, password)
    for i in range(40):
        command(s, buf, "C%d" % i, 'CREATE "%s/%02d"' % ("a" * 1000, i), time.monotonic())
    s.close()


def run(port, user, password, sessions, seconds):
    counts = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    stop_file = os.environ.get("STOP_FILE", "")

    def stopped():
        return time.monotonic() >= deadline or (stop_file and os.path.exists(stop_file))

    def one(n):
        s, buf = login(port, user, password)
        command(s, buf, "S", "SELECT INBOX", deadline)
        k = 0
        while not stopped():
            # The over-limit LIST is BAD: only in the first rounds, since
            # [imap] max_bad_commands (20) BADs end the session.
            commands = [("list-within", 'LIST "" "%s"' % WITHIN_LIMIT), ("search", 'SEARCH BODY "%s"' % NEEDLE)]
            if k < 30:
                commands.insert(0, ("list-over", 'LIST "" "%s"' % OVER_LIMIT))
            for what, text in commands:
                k += 1
                line = command(s, buf, "T%d" % k, text, deadline)
                status = line.split(b" ")[1].decode()
                with lock:
                    counts[(what, status)] = counts.get((what, status), 0) + 1
        s.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 300)
    for (what, status), n in sorted(counts.items()):
        print("imap-heavy: %s %s %d" % (what, status, n))


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        run(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
