"""POP3 against the real binary: Python's poplib and curl read what SMTP delivered."""

import base64
import poplib
import socket
import subprocess
import time

import harness
from harness import ServerTestCase, make_message

PASSWORD = "pop-secret-1"


class Pop3Test(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def mailbox_with(self, user, bodies):
        """A fresh user whose INBOX holds one message per body; returns the stored messages."""
        self.srv.add_user(user, PASSWORD)
        for i, body in enumerate(bodies):
            self.srv.send("sender@example.org", [user], make_message("msg %d" % i, body, to=user))
        entries = self.srv.wait_mailbox(user, len(bodies))
        self.assertEqual(len(entries), len(bodies), "local delivery of %d messages" % len(bodies))
        return [self.srv.mailbox_show(user, mid) for mid, _ in entries]

    def pop(self, user=None, password=PASSWORD):
        p = poplib.POP3("127.0.0.1", self.srv.pop3_port, timeout=15)
        self.addCleanup(self.close_quietly, p)
        if user:
            p.user(user)
            p.pass_(password)
        return p

    @staticmethod
    def close_quietly(p):
        try:
            p.close()
        except Exception:
            pass

    def test_read_every_message_byte_exact_and_delete_at_quit(self):
        stored = self.mailbox_with("reader@localhost", [["first"], ["second", ".a line starting with a dot"],
                                                        ["third"]])
        p = self.pop("reader@localhost")
        count, size = p.stat()
        self.assertEqual(count, 3)
        self.assertEqual(size, sum(len(m) for m in stored))
        _, listing, _ = p.list()
        self.assertEqual([int(x.split()[1]) for x in listing], [len(m) for m in stored])
        _, uidls, _ = p.uidl()
        uids = [x.split()[1] for x in uidls]
        self.assertEqual(len(set(uids)), 3, "UIDL values are unique: %r" % uids)
        for i, want in enumerate(stored, start=1):
            _, lines, octets = p.retr(i)
            got = b"\r\n".join(lines) + b"\r\n"
            self.assertEqual(got, want, "RETR %d is the stored message (dot-unstuffed by poplib)" % i)
        _, head, _ = p.top(2, 0)
        self.assertIn(b"Subject: msg 1", head)
        self.assertNotIn(b"second", b"\r\n".join(head), "TOP n 0: headers only")
        p.dele(1)
        self.assertEqual(p.stat()[0], 2, "a deleted message leaves the listing at once")
        with self.assertRaises(poplib.error_proto):
            p.retr(1)
        p.quit()
        self.assertEqual(len(self.srv.mailbox_list("reader@localhost")), 2, "DELE applied at QUIT")
        # The remaining messages keep their UIDLs in the next session.
        p2 = self.pop("reader@localhost")
        _, uidls2, _ = p2.uidl()
        self.assertEqual([x.split()[1] for x in uidls2], uids[1:])
        p2.quit()

    def test_rset_and_disconnect_keep_messages(self):
        self.mailbox_with("keeper@localhost", [["one"], ["two"]])
        p = self.pop("keeper@localhost")
        p.dele(1)
        p.rset()
        self.assertEqual(p.stat()[0], 2)
        p.dele(2)
        p.close()   # no QUIT: nothing is deleted (RFC 1939 6)
        time.sleep(0.2)
        self.assertEqual(len(self.srv.mailbox_list("keeper@localhost")), 2)

    def test_bad_password_and_unknown_user_look_the_same(self):
        self.srv.add_user("guarded@localhost", PASSWORD)
        answers = []
        for user, password in (("guarded@localhost", "wrong"), ("nobody@localhost", "wrong")):
            p = self.pop()
            p.user(user)
            with self.assertRaises(poplib.error_proto) as ctx:
                p.pass_(password)
            answers.append(ctx.exception.args[0])
        self.assertEqual(answers[0], answers[1], "the error never says whether the user exists")
        self.assertTrue(answers[0].startswith(b"-ERR [AUTH]"), answers[0])
        self.assertTrue(any(e.get("event") == "login_failed" for e in self.srv.log_events()))

    def test_second_session_gets_in_use(self):
        self.mailbox_with("locked@localhost", [["x"]])
        first = self.pop("locked@localhost")
        second = self.pop()
        second.user("locked@localhost")
        with self.assertRaises(poplib.error_proto) as ctx:
            second.pass_(PASSWORD)
        self.assertTrue(ctx.exception.args[0].startswith(b"-ERR [IN-USE]"), ctx.exception.args[0])
        first.quit()
        third = self.pop("locked@localhost")   # the lock went with the first session
        self.assertEqual(third.stat()[0], 1)
        third.quit()

    def test_auth_plain_with_initial_response_and_pipelining(self):
        self.mailbox_with("plain@localhost", [["hello"]])
        s = socket.create_connection(("127.0.0.1", self.srv.pop3_port), timeout=15)
        self.addCleanup(s.close)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        token = base64.b64encode(b"\0plain@localhost\0" + PASSWORD.encode()).decode()
        # Four commands in one write (RFC 2449 PIPELINING).
        s.sendall(("AUTH PLAIN %s\r\nSTAT\r\nLIST 1\r\nQUIT\r\n" % token).encode())
        lines = [f.readline() for _ in range(4)]
        self.assertTrue(lines[0].startswith(b"+OK"), lines)
        self.assertTrue(lines[1].startswith(b"+OK 1 "), lines)
        self.assertTrue(lines[2].startswith(b"+OK 1 "), lines)
        self.assertTrue(lines[3].startswith(b"+OK"), lines)

    def test_capa(self):
        p = self.pop()
        caps = p.capa()
        for cap in ("TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES"):
            self.assertIn(cap, caps)
        self.assertIn("PLAIN", caps.get("SASL", []))
        p.quit()

    def test_curl_pop3_url(self):
        stored = self.mailbox_with("curly@localhost", [["fetched by curl"]])
        r = subprocess.run(["curl", "-s", "--max-time", "20", "-u", "curly@localhost:" + PASSWORD,
                            "pop3://127.0.0.1:%d/1" % self.srv.pop3_port], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, stored[0])
        listing = subprocess.run(["curl", "-s", "--max-time", "20", "-u", "curly@localhost:" + PASSWORD,
                                  "pop3://127.0.0.1:%d/" % self.srv.pop3_port], capture_output=True, timeout=30)
        self.assertEqual(listing.stdout.strip(), ("1 %d" % len(stored[0])).encode())
