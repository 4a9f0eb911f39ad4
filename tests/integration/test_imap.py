"""IMAP against the real binary: Python's imaplib and curl read, search, flag,
copy, move, expunge and append what SMTP delivered."""

import imaplib
import re
import subprocess
import time

from harness import ServerTestCase, make_message

PASSWORD = "imap-secret-1"


class ImapTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def mailbox_with(self, user, subjects):
        """A fresh user whose INBOX holds one message per subject; returns the stored messages."""
        self.srv.add_user(user, PASSWORD)
        for s in subjects:
            self.srv.send("sender@example.org", [user], make_message(s, ["body of " + s], to=user))
        entries = self.srv.wait_mailbox(user, len(subjects))
        self.assertEqual(len(entries), len(subjects))
        return [self.srv.mailbox_show(user, mid) for mid, _ in entries]

    def imap(self, user):
        c = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=15)
        self.addCleanup(self.close_quietly, c)
        c.login(user, PASSWORD)
        return c

    @staticmethod
    def close_quietly(c):
        try:
            c.logout()
        except Exception:
            pass

    def test_capability_and_list_with_special_use(self):
        self.srv.add_user("lister@localhost", PASSWORD)
        c = self.imap("lister@localhost")
        typ, caps = c.capability()
        self.assertEqual(typ, "OK")
        for cap in (b"IMAP4rev1", b"IDLE", b"UIDPLUS", b"MOVE", b"SPECIAL-USE"):
            self.assertIn(cap, caps[0])
        typ, lines = c.list()
        self.assertEqual(typ, "OK")
        text = b"\n".join(lines)
        self.assertIn(b'"/" INBOX', text)
        self.assertRegex(text, rb"\\Sent\) \"/\" Sent")
        self.assertRegex(text, rb"\\Trash\) \"/\" Trash")
        typ, lines = c.lsub()
        self.assertEqual(typ, "OK")
        self.assertEqual(len(lines), 5)

    def test_wrong_password_is_refused(self):
        self.srv.add_user("wrongpw@localhost", PASSWORD)
        c = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=15)
        self.addCleanup(self.close_quietly, c)
        with self.assertRaises(imaplib.IMAP4.error):
            c.login("wrongpw@localhost", "nope")

    def test_select_fetch_search_store(self):
        stored = self.mailbox_with("fetcher@localhost", ["alpha", "beta", "gamma"])
        c = self.imap("fetcher@localhost")
        typ, data = c.select("INBOX")
        self.assertEqual((typ, data[0]), ("OK", b"3"))
        typ, data = c.fetch("1:3", "(FLAGS RFC822.SIZE)")
        self.assertEqual(typ, "OK")
        for i, line in enumerate(data):
            self.assertIn(b"RFC822.SIZE %d" % len(stored[i]), line)
            self.assertIn(b"FLAGS (\\Recent)", line)   # the first session to see them
        typ, data = c.fetch("2", "(ENVELOPE BODYSTRUCTURE)")
        self.assertIn(b'"beta"', data[0])
        self.assertIn(b'("text" "plain"', data[0].lower().replace(b'("TEXT" "PLAIN"', b'("text" "plain"'))
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: alpha\r\n\r\n")
        typ, data = c.search(None, "UNSEEN")
        self.assertEqual(data[0], b"1 2 3")
        typ, data = c.fetch("3", "(BODY[])")
        self.assertEqual(data[0][1], stored[2], "BODY[] is byte-exact")
        self.assertIn(b"\\Seen", data[0][0] + (data[1] if len(data) > 1 and isinstance(data[1], bytes) else b""))
        typ, data = c.search(None, "UNSEEN")
        self.assertEqual(data[0], b"1 2")
        typ, data = c.search(None, "SUBJECT", "beta")
        self.assertEqual(data[0], b"2")
        typ, data = c.search(None, "FROM", "sender@example.org")
        self.assertEqual(data[0], b"1 2 3")
        typ, data = c.uid("SEARCH", None, "UID", "2:*")
        self.assertEqual(len(data[0].split()), 2)
        typ, data = c.store("1", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"\\Flagged", data[0])
        typ, data = c.search(None, "FLAGGED")
        self.assertEqual(data[0], b"1")
        # Durable and visible to a new session.
        c2 = self.imap("fetcher@localhost")
        c2.select("INBOX", readonly=True)
        typ, data = c2.fetch("1", "(FLAGS)")
        self.assertIn(b"\\Flagged", data[0])

    def test_copy_move_expunge_append(self):
        self.mailbox_with("mover@localhost", ["one", "two", "three"])
        c = self.imap("mover@localhost")
        c.select("INBOX")
        typ, data = c.copy("1", "Trash")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1 1\]")
        typ, data = c.uid("MOVE", "2", "Junk")
        self.assertEqual(typ, "OK")
        self.assertIn(b"2", c.untagged_responses.get("EXPUNGE", []))
        typ, data = c.status("Junk", "(MESSAGES UIDNEXT)")
        self.assertIn(b"MESSAGES 1", data[0])
        c.store("1", "+FLAGS", "(\\Deleted)")
        c.untagged_responses.pop("EXPUNGE", None)
        typ, data = c.expunge()
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [b"1"])
        typ, data = c.search(None, "ALL")
        self.assertEqual(data[0], b"1")
        msg = b"From: me@example.org\r\nSubject: appended\r\n\r\nhello\r\n"
        typ, data = c.append("Drafts", "(\\Draft)", None, msg)
        self.assertEqual(typ, "OK")
        m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
        self.assertIsNotNone(m, data)
        c.select("Drafts")
        typ, data = c.uid("FETCH", m.group(2).decode(), "(FLAGS BODY.PEEK[])")
        self.assertEqual(data[0][1], msg)
        self.assertIn(b"\\Draft", data[0][0])

    def test_create_rename_delete(self):
        self.srv.add_user("folders@localhost", PASSWORD)
        c = self.imap("folders@localhost")
        self.assertEqual(c.create("Projects")[0], "OK")
        self.assertEqual(c.create("Projects/2024")[0], "OK")
        typ, lines = c.list('""', "Projects*")
        text = b"\n".join(lines)
        self.assertIn(b"\\HasChildren", text)
        self.assertEqual(c.rename("Projects", "Work")[0], "OK")
        typ, lines = c.list('""', "*")
        text = b"\n".join(lines)
        self.assertIn(b"Work/2024", text)
        self.assertNotIn(b"Projects", text)
        self.assertEqual(c.delete("Work/2024")[0], "OK")
        typ, data = c.create("INBOX")
        self.assertEqual(typ, "NO")
        typ, data = c.select("Nope")
        self.assertEqual(typ, "NO")

    def test_mailbox_errors_carry_their_response_codes(self):
        # The store's mailbox errors reach the client through the blocking
        # pool and the IMAP backend with their RFC 5530 response codes.
        self.srv.add_user("codes@localhost", PASSWORD)
        c = self.imap("codes@localhost")
        typ, data = c.create("Sent")
        self.assertEqual((typ, data[0][:16]), ("NO", b"[ALREADYEXISTS] "))
        typ, data = c.delete("INBOX")
        self.assertEqual((typ, data[0][:9]), ("NO", b"[CANNOT] "))
        typ, data = c.select("Nope")
        self.assertEqual((typ, data[0][:14]), ("NO", b"[NONEXISTENT] "))
        c.select("INBOX")
        msg = b"From: me@example.org\r\nSubject: x\r\n\r\nhello\r\n"
        self.assertEqual(c.append("INBOX", None, None, msg)[0], "OK")
        typ, data = c.copy("1", "Nope")
        self.assertEqual((typ, data[0][:12]), ("NO", b"[TRYCREATE] "))

    def test_second_session_sees_delivery_and_expunge(self):
        self.mailbox_with("watcher@localhost", ["first"])
        a = self.imap("watcher@localhost")
        b = self.imap("watcher@localhost")
        a.select("INBOX")
        b.select("INBOX")
        self.srv.send("sender@example.org", ["watcher@localhost"], make_message("second", ["x"], to="watcher@localhost"))
        deadline = time.monotonic() + 10
        exists = None
        while time.monotonic() < deadline:
            b.noop()
            exists = b.untagged_responses.get("EXISTS")
            if exists and exists[-1] == b"2":
                break
            time.sleep(0.1)
        self.assertEqual(exists[-1], b"2")
        a.store("1", "+FLAGS", "(\\Deleted)")
        a.expunge()
        b.untagged_responses.clear()
        typ, data = b.noop()
        self.assertIn(b"1", b.untagged_responses.get("EXPUNGE", []))

    def test_idle_hears_new_mail(self):
        self.mailbox_with("idler@localhost", ["first"])
        c = self.imap("idler@localhost")
        c.select("INBOX")
        tag = c._new_tag()
        c.send(tag + b" IDLE\r\n")
        self.assertTrue(c.readline().startswith(b"+"))
        self.srv.send("sender@example.org", ["idler@localhost"], make_message("pushed", ["x"], to="idler@localhost"))
        c.sock.settimeout(10)
        line = c.readline()
        self.assertEqual(line, b"* 2 EXISTS\r\n")
        self.assertEqual(c.readline(), b"* 2 RECENT\r\n")
        c.send(b"DONE\r\n")
        line = c.readline()
        self.assertTrue(line.startswith(tag + b" OK"), line)

    def test_curl_reads_a_message(self):
        stored = self.mailbox_with("curler@localhost", ["via curl"])
        r = subprocess.run(["curl", "-s", "--max-time", "15", "-u", "curler@localhost:" + PASSWORD,
                            "imap://127.0.0.1:%d/INBOX;UID=1" % self.srv.imap_port],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, stored[0])

    def test_garbage_gets_bad_and_connection_survives(self):
        self.srv.add_user("garbage@localhost", PASSWORD)
        c = self.imap("garbage@localhost")
        tag = c._new_tag()
        c.send(tag + b" FROBNICATE x\r\n")
        line = c.readline()
        self.assertTrue(line.startswith(tag + b" BAD"), line)
        self.assertEqual(c.noop()[0], "OK")
