"""Basic SMTP sessions, local delivery, CLI basics and logs (one shared server)."""

import re
import subprocess
import time
import unittest

import harness
from harness import HOSTNAME, ServerTestCase, make_message, verify_local

EXTENSIONS = ["PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "BINARYMIME", "SMTPUTF8", "DSN"]


class BasicTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        for u in ("alice@localhost", "bob@localhost", "swaks1@localhost", "swaks2@localhost",
                  "multi@localhost", "null@localhost", "helo@localhost", "log@localhost", "carol@local.test",
                  "postmaster@localhost"):
            cls.srv.add_user(u)

    # --- greeting, EHLO, simple commands ---

    def test_greeting_and_ehlo(self):
        c = harness.RawSMTP("127.0.0.1", self.srv.port)
        self.addCleanup(c.close)
        g = c.read_reply()
        self.assertReply(g, 220, client=c)
        self.assertTrue(g.first.startswith(HOSTNAME), "greeting should start with the hostname %s: %s" % (HOSTNAME, g))
        r = c.cmd("EHLO client.test")
        self.assertReply(r, 250, client=c)
        self.assertTrue(r.first.startswith(HOSTNAME), "EHLO first line should name the host: %s" % r)
        kws = {}
        for line in r.lines[1:]:
            parts = line.split()
            kws[parts[0].upper()] = parts[1:]
        for ext in EXTENSIONS:
            self.assertIn(ext, kws, "EHLO does not advertise %s:\n%s" % (ext, r.text))
        self.assertEqual(kws["SIZE"], ["26214400"], "SIZE should advertise the default max_message_size: %s" % r)
        # A second EHLO is allowed and resets.
        self.assertReply(c.cmd("EHLO again.test"), 250, client=c)
        r = c.cmd("HELO client.test")
        self.assertReply(r, 250, client=c)
        self.assertEqual(len(r.lines), 1, "HELO reply must be a single line: %s" % r)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        self.assertClosed(c, 3, "after QUIT")

    def test_simple_commands(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0", client=c)
        self.assertReply(c.cmd("VRFY alice@localhost"), 252, client=c)
        r = c.cmd("HELP")
        self.assertIn(r.code, (211, 214), "HELP: %s" % r)
        self.assertReply(c.cmd("RSET"), 250, "2.0.0", client=c)
        self.assertReply(c.cmd("noop"), 250, client=c)  # verbs are case-insensitive
        r = c.cmd("QUIT")
        self.assertReply(r, 221, "2.0.0", client=c)
        self.assertClosed(c, 3, "after QUIT")

    def test_bad_sequence(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 503, "5.5.1", client=c, msg="MAIL before EHLO")
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<alice@localhost>"), 503, "5.5.1", client=c, msg="RCPT before MAIL")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1", client=c, msg="DATA before MAIL")
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, "2.1.0", client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 503, "5.5.1", client=c, msg="nested MAIL")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1", client=c, msg="DATA without a recipient")
        self.assertReply(c.cmd("RCPT TO:<alice@localhost>"), 250, "2.1.5", client=c)
        self.assertReply(c.cmd("RSET"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1", client=c, msg="DATA after RSET")
        self.assertReply(c.cmd("QUIT"), 221, client=c)

    def test_syntax_errors(self):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("FROBNICATE"), 500, "5.5.2", client=c, msg="unknown command")
        # RFC 3463: 5.1.7 (bad sender address syntax) is as right as 5.5.4 here.
        self.assertReply(c.cmd("MAIL FROM:bogus"), 501, ("5.5.4", "5.1.7"), client=c, msg="MAIL without <>")
        self.assertReply(c.cmd("MAIL"), 501, "5.5.4", client=c, msg="MAIL without argument")
        self.assertReply(c.cmd("MAIL FROM:<a@example.org> FOO=BAR"), 555, "5.5.4", client=c,
                         msg="unknown MAIL parameter")
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<alice@localhost> XYZZY=1"), 555, "5.5.4", client=c,
                         msg="unknown RCPT parameter")
        self.assertReply(c.cmd("RCPT TO:alice"), 501, ("5.5.4", "5.1.3"), client=c, msg="RCPT without <>")
        # An overlong command line is refused and skipped; the session stays in sync.
        r = c.cmd("NOOP " + "x" * 5000)
        self.assertReply(r, 500, "5.5.2", client=c, msg="5000-byte command line")
        self.assertReply(c.cmd("NOOP"), 250, client=c, msg="NOOP after an overlong line (in sync?)")
        self.assertReply(c.cmd("RCPT TO:<alice@localhost>"), 250, client=c,
                         msg="the transaction survives syntax errors")
        self.assertReply(c.cmd("QUIT"), 221, client=c)

    # --- mail to local users ---

    def test_smtplib_local_delivery(self):
        msg = make_message("basic smtplib test", ["Hello Alice,", "", "this is a test.", "-- ", "sender"])
        qid = self.srv.send("sender@example.org", ["alice@localhost"], msg)
        entries = self.srv.wait_mailbox("alice@localhost", 1)   # local delivery follows the 250 asynchronously
        self.assertEqual(len(entries), 1, "alice should have exactly one message: %r" % entries)
        self.assertIn("basic smtplib test", entries[0][1], "mailbox list should show the Subject: %r" % entries)
        rec = verify_local(self, self.srv, "alice@localhost", "sender@example.org", qid, msg, protocol="ESMTP")
        self.assertIn("127.0.0.1", rec, "Received header should name the client IP: %s" % rec)
        self.assertIn(HOSTNAME, rec, "Received header should name this host: %s" % rec)
        self.assertIn("client.test", rec, "Received header should give the EHLO name: %s" % rec)

    def test_several_messages_one_session(self):
        c = self.srv.smtp()
        qids, msgs = [], []
        try:
            for i in range(5):
                m = make_message("multi %d" % i, ["message number %d" % i])
                msgs.append(m)
                qids.append(harness.send_on(c, "sender@example.org", ["multi@localhost"], m))
            c.quit()
        finally:
            c.close()
        self.assertEqual(len(set(qids)), 5, "queue IDs must be unique: %r" % qids)
        self.assertEqual(qids, sorted(qids), "queue IDs must increase (sortable by time): %r" % qids)
        entries = self.srv.wait_mailbox("multi@localhost", 5)
        self.assertEqual(len(entries), 5, "multi should have 5 messages: %r" % entries)
        for i, (q, m) in enumerate(zip(qids, msgs)):
            verify_local(self, self.srv, "multi@localhost", "sender@example.org", q, m, marker="multi %d" % i)

    def test_null_sender_and_domain_case(self):
        msg = make_message("bounce-like", ["null sender"])
        c = self.srv.smtp()
        try:
            code, resp = c.docmd("MAIL", "FROM:<>")
            self.assertEqual(code, 250, "MAIL FROM:<> -> %d %s" % (code, resp))
            code, resp = c.docmd("RCPT", "TO:<null@LocalHost>")
            self.assertEqual(code, 250, "domains are case-insensitive: RCPT TO:<null@LocalHost> -> %d %s" % (code, resp))
            code, resp = c.data(msg)
            self.assertEqual(code, 250, resp)
            qid = harness.parse_qid(resp.decode())
            c.quit()
        finally:
            c.close()
        mid, _ = harness.find_mailbox_entry(self.srv, "null@localhost", qid=qid, marker="bounce-like")
        data = self.srv.mailbox_show("null@localhost", mid)
        self.assertTrue(data.startswith(b"Return-Path: <>\r\n"), "null sender: %r" % data[:200])
        self.assertTrue(data.endswith(msg), "message bytes: %r" % data[-300:])

    def test_bare_postmaster_reaches_the_local_postmaster(self):
        # RFC 5321 4.5.1: "RCPT TO:<Postmaster>" (no domain) must be accepted;
        # it is delivered to postmaster@ the first local domain.
        msg = make_message("to bare postmaster", ["hello postmaster"])
        c = self.srv.smtp()
        try:
            self.assertEqual(c.mail("someone@example.org")[0], 250)
            code, resp = c.docmd("RCPT", "TO:<Postmaster>")
            self.assertEqual(code, 250, "RCPT TO:<Postmaster> -> %d %s" % (code, resp))
            code, resp = c.data(msg)
            self.assertEqual(code, 250, resp)
            qid = harness.parse_qid(resp.decode())
            c.quit()
        finally:
            c.close()
        mid, _ = harness.find_mailbox_entry(self.srv, "postmaster@localhost", qid=qid, marker="to bare postmaster")
        data = self.srv.mailbox_show("postmaster@localhost", mid)
        self.assertIn(b"Delivered-To: postmaster@localhost\r\n", data[:300], data[:300])

    def test_helo_protocol_smtp(self):
        c = self.srv.smtp(ehlo=False)
        try:
            code, _ = c.helo("old.client.test")
            self.assertEqual(code, 250)
            msg = make_message("via helo", ["plain SMTP"])
            qid = harness.send_on(c, "sender@example.org", ["helo@localhost"], msg)
            c.quit()
        finally:
            c.close()
        verify_local(self, self.srv, "helo@localhost", "sender@example.org", qid, msg, protocol="SMTP")

    def test_second_local_domain(self):
        msg = make_message("local.test domain", ["to carol"])
        qid = self.srv.send("sender@example.org", ["carol@local.test"], msg)
        verify_local(self, self.srv, "carol@local.test", "sender@example.org", qid, msg)

    # --- swaks ---

    def run_swaks(self, *extra):
        argv = ["swaks", "--server", "127.0.0.1:%d" % self.srv.port, "--helo", "swaks.test",
                "--timeout", "15"] + list(extra)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        return p.returncode, out

    def test_swaks(self):
        rc, out = self.run_swaks("--to", "swaks1@localhost", "--from", "swaks@example.org")
        self.assertEqual(rc, 0, "swaks failed:\n" + out)
        m = re.search(r"^<-\s+250 2\.0\.0 Ok: queued as ([0-9A-F]{16})\s*$", out, re.M)
        self.assertTrue(m, "swaks output lacks '250 2.0.0 Ok: queued as <QID>':\n" + out)
        entries = self.srv.wait_mailbox("swaks1@localhost", 1)
        self.assertEqual(len(entries), 1, "swaks1 mailbox: %r" % entries)
        mid, _ = harness.find_mailbox_entry(self.srv, "swaks1@localhost", qid=m.group(1), marker="test")
        data = self.srv.mailbox_show("swaks1@localhost", mid)
        _, received, rest = harness.split_mailbox_message(data, "swaks@example.org", "swaks1@localhost")
        harness.check_received(self, received, m.group(1), "ESMTP")
        self.assertIn(b"This is a test mailing", rest, "swaks default body should be stored: %r" % rest)

    def test_swaks_pipelining(self):
        rc, out = self.run_swaks("--to", "swaks2@localhost,bob@localhost", "--from", "swaks@example.org",
                                 "--pipeline", "--body", "pipelined by swaks")
        self.assertEqual(rc, 0, "swaks --pipeline failed:\n" + out)
        self.assertRegex(out, r"250 2\.0\.0 Ok: queued as [0-9A-F]{16}", "swaks --pipeline:\n" + out)
        entries = self.srv.wait_mailbox("swaks2@localhost", 1)
        self.assertEqual(len(entries), 1, "swaks2 mailbox: %r" % entries)

    # --- CLI basics ---

    def test_cli_exit_codes(self):
        r = self.srv.cli("queue", "show", "0000000000000000")
        self.assertEqual(r.returncode, 1, "queue show of an unknown ID: expected exit 1\n" + r.describe())
        r = self.srv.cli("queue", "delete", "0000000000000000")
        self.assertEqual(r.returncode, 1, "queue delete of an unknown ID: expected exit 1\n" + r.describe())
        r = self.srv.cli("mailbox", "show", "alice@localhost", "0000000000000000.99")
        self.assertEqual(r.returncode, 1, "mailbox show of an unknown ID: expected exit 1\n" + r.describe())
        r = self.srv.cli("user", "add", "alice@localhost", input="pw\n")
        self.assertEqual(r.returncode, 1, "user add of an existing user: expected exit 1\n" + r.describe())
        r = self.srv.cli("user", "del", "nobody-here@localhost")
        self.assertEqual(r.returncode, 1, "user del of a missing user: expected exit 1\n" + r.describe())
        r = self.srv.cli("queue", "show")
        self.assertEqual(r.returncode, 2, "queue show without ID: expected usage error 2\n" + r.describe())
        r = self.srv.cli("queue", "stats", check=0)
        self.assertTrue(r.out.strip(), "queue stats printed nothing")

    def test_user_list_and_del(self):
        self.srv.add_user("temp.user@localhost")
        out = self.srv.cli("user", "list", check=0).out
        self.assertIn("alice@localhost", out.split(), "user list:\n" + out)
        self.assertIn("temp.user@localhost", out.split(), "user list:\n" + out)
        self.srv.cli("user", "del", "temp.user@localhost", check=0)
        out = self.srv.cli("user", "list", check=0).out
        self.assertNotIn("temp.user@localhost", out.split(), "user list after del:\n" + out)
        c = self.srv.raw()
        self.addCleanup(c.close)
        c.cmd("EHLO client.test")
        c.cmd("MAIL FROM:<a@example.org>")
        self.assertReply(c.cmd("RCPT TO:<temp.user@localhost>"), 550, "5.1.1", client=c,
                         msg="a deleted user must be unknown at once")
        c.cmd("QUIT")

    # --- logs ---

    def test_log_lines(self):
        msg = make_message("log test", ["logged"])
        qid = self.srv.send("logger@example.org", ["log@localhost"], msg)
        ev = self.srv.wait_log(lambda d: d.get("event") == "accepted" and d.get("qid") == qid)
        self.assertIsNotNone(ev, "no 'event=accepted qid=%s' log line" % qid)
        self.assertEqual(ev.get("from"), "logger@example.org", "accepted line: %r" % ev)
        self.assertIn("log@localhost", ev.get("to", ""), "accepted line: %r" % ev)
        self.assertTrue(ev.get("size", "").isdigit(), "accepted line size=: %r" % ev)
        self.assertEqual(ev.get("client"), "127.0.0.1", "accepted line client=: %r" % ev)
        self.assertIn(ev.get("level"), ("info",), "accepted line level: %r" % ev)
        # One line per local delivery: `event=delivered to=...` (inline local
        # delivery) or the delivery engine's `event=delivery rcpt=... result=delivered relay=local`.
        dv = self.srv.wait_log(lambda d: d.get("qid") == qid and (
            d.get("event") == "delivered" or (d.get("event") == "delivery" and d.get("result") == "delivered")),
            timeout=10)
        self.assertIsNotNone(dv, "no 'event=delivered qid=%s' (or 'event=delivery result=delivered') log line" % qid)
        self.assertEqual(dv.get("to", dv.get("rcpt")), "log@localhost", "delivered line: %r" % dv)
        self.assertTrue(self.srv.log_events("listening"), "no event=listening line")
        self.assertTrue(self.srv.log_events("connect"), "no event=connect line")
        self.assertIsNotNone(self.srv.wait_log(lambda d: d.get("event") == "disconnect"), "no event=disconnect line")
        for line in self.srv.log_lines():
            if not line.strip() or line.startswith("# ---"):
                continue
            d = harness.parse_logfmt(line)
            self.assertTrue(d and "ts" in d and "level" in d and "event" in d and line.startswith("ts="),
                            "stderr line is not logfmt 'ts=... level=... event=...': %r" % line)


if __name__ == "__main__":
    unittest.main()
