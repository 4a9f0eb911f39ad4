"""IMAP session behaviour beyond single commands, against the real binary:
changes by another session reported before the tagged reply of the next
command (never as EXPUNGE during a plain FETCH), [CLOSED] on re-SELECT,
large messages streamed byte-exact (whole, partial, TEXT), and the tight
reader limits that apply before login."""

import imaplib
import re
import socket
import time

from harness import ServerTestCase, make_message

PASSWORD = "imap-session-1"


def raw(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    f = s.makefile("rb")
    greeting = f.readline()
    assert greeting.startswith(b"* OK"), greeting
    return s, f


def until_tagged(f, tag):
    """Lines up to and including the tagged reply (literals kept inline)."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            raise AssertionError("connection closed; got %r" % lines)
        lines.append(line)
        m = re.search(rb"\{(\d+)\}\r\n$", line)
        if m:
            lines.append(f.read(int(m.group(1))))
            continue
        if line.startswith(tag + b" "):
            return lines


class ImapSessionTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def deliver(self, user, subjects):
        for s in subjects:
            self.srv.send("sender@example.org", [user], make_message(s, ["body of " + s], to=user))

    def login_raw(self, user):
        s, f = raw(self.srv.imap_port)
        self.addCleanup(s.close)
        s.sendall(b"a1 LOGIN %s %s\r\n" % (user.encode(), PASSWORD.encode()))
        self.assertTrue(until_tagged(f, b"a1")[-1].startswith(b"a1 OK"))
        return s, f

    def imap(self, user):
        c = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=15)
        self.addCleanup(lambda: c.logout() if c.state != "LOGOUT" else None)
        c.login(user, PASSWORD)
        return c

    def test_changes_by_another_session_arrive_with_the_next_allowed_command(self):
        user = "watcher@localhost"
        self.srv.add_user(user, PASSWORD)
        self.deliver(user, ["one", "two", "three"])
        self.srv.wait_mailbox(user, 3)
        s, f = self.login_raw(user)
        s.sendall(b"s1 SELECT INBOX\r\n")
        self.assertIn(b"* 3 EXISTS\r\n", until_tagged(f, b"s1"))

        other = self.imap(user)
        other.select("INBOX")
        other.store("2", "+FLAGS", "(\\Deleted)")
        other.expunge()
        self.deliver(user, ["four"])
        self.srv.wait_mailbox(user, 3)   # 1, 3, 4
        time.sleep(0.3)                   # the change notice is posted to our ring

        # A plain FETCH may not carry EXPUNGE (RFC 3501 7.4.1): the numbers
        # the client used stay valid, and nothing is reported.
        s.sendall(b"f1 FETCH 1:3 (UID)\r\n")
        lines = until_tagged(f, b"f1")
        self.assertFalse([l for l in lines if l.endswith(b"EXPUNGE\r\n")], lines)
        self.assertTrue(lines[-1].startswith(b"f1 OK"))
        # LIST is not a message command: the updates come before its OK.
        s.sendall(b"l1 LIST \"\" INBOX\r\n")
        lines = until_tagged(f, b"l1")
        self.assertIn(b"* 2 EXPUNGE\r\n", lines)
        self.assertIn(b"* 3 EXISTS\r\n", lines)
        self.assertLess(lines.index(b"* 2 EXPUNGE\r\n"), lines.index(b"* 3 EXISTS\r\n"))
        self.assertTrue(lines[-1].startswith(b"l1 OK"))
        # A flag change elsewhere arrives as FETCH FLAGS after UID FETCH.
        other.store("1", "+FLAGS", "(\\Flagged)")
        time.sleep(0.3)
        s.sendall(b"u1 UID FETCH 1:* (FLAGS)\r\n")
        lines = until_tagged(f, b"u1")
        self.assertTrue(any(b"\\Flagged" in l for l in lines), lines)
        # Our own writes are not echoed back a second time.
        s.sendall(b"st STORE 3 +FLAGS (\\Seen)\r\n")
        self.assertEqual(len([l for l in until_tagged(f, b"st") if b"FETCH" in l]), 1)
        time.sleep(0.2)
        s.sendall(b"n1 NOOP\r\n")
        self.assertEqual(until_tagged(f, b"n1"), [b"n1 OK NOOP completed\r\n"])

    def test_reselect_sends_closed_first(self):
        user = "closer@localhost"
        self.srv.add_user(user, PASSWORD)
        s, f = self.login_raw(user)
        s.sendall(b"s1 SELECT INBOX\r\n")
        lines = until_tagged(f, b"s1")
        self.assertFalse([l for l in lines if b"[CLOSED]" in l])
        s.sendall(b"s2 EXAMINE Sent\r\n")
        lines = until_tagged(f, b"s2")
        self.assertTrue(lines[0].startswith(b"* OK [CLOSED]"), lines)
        self.assertTrue(lines[-1].startswith(b"s2 OK [READ-ONLY]"))

    def test_large_message_is_streamed_byte_exact(self):
        user = "bigreader@localhost"
        self.srv.add_user(user, PASSWORD)
        # ~3 MiB, varied lines, so offsets inside are checkable.
        body = ["line %06d %s" % (i, "xyz" * (i % 40)) for i in range(40000)]
        msg = make_message("big one", body, to=user)
        self.srv.send("sender@example.org", [user], msg)
        self.deliver(user, ["small after"])
        self.srv.wait_mailbox(user, 2)
        c = self.imap(user)
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1", "(RFC822.SIZE BODY.PEEK[])")
        stored = data[0][1]
        self.assertEqual(int(re.search(rb"RFC822.SIZE (\d+)", data[0][0]).group(1)), len(stored))
        self.assertTrue(stored.endswith(msg), "the submitted message is the tail of what is stored")
        self.assertGreater(len(stored), 2 * 1024 * 1024)
        off = 1234567
        typ, data = c.fetch("1", "(BODY.PEEK[]<%d.300000>)" % off)
        self.assertEqual(data[0][1], stored[off:off + 300000])
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT])")
        self.assertEqual(data[0][1], stored[stored.index(b"\r\n\r\n") + 4:])
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: big one\r\n\r\n")
        # Both messages in one reply, the small one intact after the big one.
        typ, data = c.fetch("1:2", "(BODY.PEEK[])")
        self.assertEqual(data[0][1], stored)
        self.assertIn(b"body of small after", data[2][1])

    def test_reader_limits_are_tight_before_login(self):
        user = "limits@localhost"
        self.srv.add_user(user, PASSWORD)
        s, f = raw(self.srv.imap_port)
        self.addCleanup(s.close)
        # A 20 KB synchronizing literal before login: refused, no continuation.
        s.sendall(b"a1 LOGIN {20000}\r\n")
        line = f.readline()
        self.assertTrue(line.startswith(b"a1 BAD"), line)
        # The session goes on: log in, then the same size is fine (APPEND).
        s.sendall(b"a2 LOGIN %s %s\r\n" % (user.encode(), PASSWORD.encode()))
        self.assertTrue(until_tagged(f, b"a2")[-1].startswith(b"a2 OK"))
        msg = make_message("appended", ["x" * 70] * 280, to=user)
        self.assertGreater(len(msg), 20000)
        s.sendall(b"a3 APPEND INBOX {%d}\r\n" % len(msg))
        self.assertTrue(f.readline().startswith(b"+ "))
        s.sendall(msg + b"\r\n")
        self.assertTrue(until_tagged(f, b"a3")[-1].startswith(b"a3 OK [APPENDUID"))

    def test_sent_search_uses_the_date_header(self):
        user = "sentdates@localhost"
        self.srv.add_user(user, PASSWORD)

        def msg(subject, date):
            hdr = "From: <a@example.org>\r\nTo: <%s>\r\nSubject: %s\r\n" % (user, subject)
            if date:
                hdr += "Date: %s\r\n" % date
            return (hdr + "\r\nbody\r\n").encode()

        # Late evening west of UTC: the date as written (1 Jan), not UTC's (2 Jan).
        self.srv.send("a@example.org", [user], msg("old", "Fri, 31 Dec 1999 10:00:00 +0000"))
        self.srv.send("a@example.org", [user], msg("zoned", "Mon, 1 Jan 2024 23:30:00 -0500 (EST)"))
        self.srv.send("a@example.org", [user], msg("undated", None))
        self.srv.wait_mailbox(user, 3)
        c = self.imap(user)
        c.select("INBOX", readonly=True)

        def search(*criteria):
            typ, data = c.search(None, *criteria)
            self.assertEqual(typ, "OK")
            return data[0].split()

        self.assertEqual(search("SENTBEFORE", "1-Jan-2000"), [b"1"])
        self.assertEqual(search("SENTON", "1-Jan-2024"), [b"2"])
        self.assertEqual(search("SENTON", "2-Jan-2024"), [])
        # No Date: dated by arrival (today), like INTERNALDATE.
        today = time.strftime("%d-%b-%Y", time.gmtime())
        self.assertEqual(search("SENTSINCE", today), [b"3"])
        self.assertEqual(search("SINCE", today), [b"1", b"2", b"3"])
