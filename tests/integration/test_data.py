"""DATA: dot-unstuffing, line ends, end-of-data split over many writes."""

import time
import unittest

import harness
from harness import ServerTestCase, make_message, verify_local


class DataTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        for u in ("dots@localhost", "lf@localhost", "split@localhost", "empty@localhost", "long@localhost", "smuggle@localhost"):
            cls.srv.add_user(u)

    def test_dot_stuffing_smtplib(self):
        body = [".leading dot", "..two dots", "..", ".", "...", "middle . dot", ". space after dot", "", ".", "last"]
        msg = make_message("dots", body)
        qid = self.srv.send("dotty@example.org", ["dots@localhost"], msg)   # smtplib dot-stuffs
        verify_local(self, self.srv, "dots@localhost", "dotty@example.org", qid, msg, marker="dots")

    def raw_transaction(self, rcpt, pieces, pause=0.0):
        """Send MAIL/RCPT/DATA, then the data in `pieces` (separate writes), return the final reply."""
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<raw@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        for p in pieces:
            c.send(p)
            if pause:
                time.sleep(pause)
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c, msg="end of data")
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        return harness.parse_qid(r.text)

    def test_bare_lf_normalised(self):
        head = make_message("bare lf", [])
        wire = head + b"line one\nline two\nthird line\r\nline four\r\n.\r\n"
        expected = head + b"line one\r\nline two\r\nthird line\r\nline four\r\n"
        qid = self.raw_transaction("lf@localhost", [wire])
        verify_local(self, self.srv, "lf@localhost", "raw@example.org", qid, expected, marker="bare lf")

    def test_end_of_data_split_across_writes(self):
        msg = make_message("split terminator", ["a line", ".stuffed", "the end"])
        stuffed = msg.replace(b"\r\n.", b"\r\n..")
        wire = stuffed + b".\r\n"
        # Split just before, inside and after the "\r\n.\r\n" and the ".." of the stuffed line.
        n = len(stuffed)
        j = stuffed.index(b"\r\n..") + 2
        cuts = sorted({5, j, j + 1, j + 2, n - 1, n, n + 1, n + 2})
        pieces, last = [], 0
        for cut in cuts:
            pieces.append(wire[last:cut])
            last = cut
        pieces.append(wire[last:])
        qid = self.raw_transaction("split@localhost", [p for p in pieces if p], pause=0.05)
        verify_local(self, self.srv, "split@localhost", "raw@example.org", qid, msg, marker="split terminator")

    def test_byte_at_a_time(self):
        msg = make_message("byte at a time", ["x", ".y", "z"])
        wire = msg.replace(b"\r\n.", b"\r\n..") + b".\r\n"
        tail = 40  # send the last bytes one by one
        pieces = [wire[:-tail]] + [wire[i:i + 1] for i in range(len(wire) - tail, len(wire))]
        qid = self.raw_transaction("split@localhost", pieces, pause=0.01)
        verify_local(self, self.srv, "split@localhost", "raw@example.org", qid, msg, marker="byte at a time")

    def test_no_smtp_smuggling_with_bare_lf_dot(self):
        # RFC 5321 4.1.1.4: only <CRLF>.<CRLF> ends the data. Taking "<LF>.<LF>",
        # "<LF>.<CRLF>" or "<CRLF>.<LF>" as the end lets a sender smuggle a second
        # message through a relay that passes those sequences on (SMTP smuggling,
        # CVE-2023-51764 and friends).
        for name, seq in (("LF.LF", b"\n.\n"), ("LF.CRLF", b"\n.\r\n"), ("CRLF.LF", b"\r\n.\n")):
            with self.subTest(sequence=name):
                c = self.srv.raw()
                self.addCleanup(c.close)
                self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
                self.assertReply(c.cmd("MAIL FROM:<outer@example.org>"), 250, client=c)
                self.assertReply(c.cmd("RCPT TO:<smuggle@localhost>"), 250, client=c)
                self.assertReply(c.cmd("DATA"), 354, client=c)
                c.send(b"Subject: smuggling " + name.encode() + b"\r\n\r\nbefore" + seq +
                       b"MAIL FROM:<smuggled@example.org>\r\nRCPT TO:<smuggle@localhost>\r\nDATA\r\n"
                       b"Subject: smuggled\r\n\r\nsmuggled body\r\n.\r\nVRFY end-of-test\r\n")
                replies = []
                while len(replies) < 8:            # up to the 252 of our VRFY
                    r = c.read_reply()
                    replies.append(r)
                    if r.code == 252:
                        break
                codes = [r.code for r in replies]
                self.assertEqual(codes, [250, 252], "%s inside DATA must not end the message (only CRLF.CRLF "
                                 "does); replies %r\n%s" % (name, replies, c.transcript()))
                self.assertIn("queued as", replies[0].text)

    def test_empty_message(self):
        qid = self.raw_transaction("empty@localhost", [b".\r\n"])
        mid, _ = harness.find_mailbox_entry(self.srv, "empty@localhost", qid=qid)
        data = self.srv.mailbox_show("empty@localhost", mid)
        _, received, rest = harness.split_mailbox_message(data, "raw@example.org", "empty@localhost")
        harness.check_received(self, received, qid)
        self.assertEqual(rest, b"", "an empty DATA should store only the added headers: %r" % data)

    def test_long_lines(self):
        # 900-byte and 20,000-byte lines (below max_data_line) are kept intact.
        msg = make_message("long lines", ["a" * 900, "b" * 20000, "." + "c" * 5000, "end"])
        qid = self.srv.send("raw@example.org", ["long@localhost"], msg)
        verify_local(self, self.srv, "long@localhost", "raw@example.org", qid, msg, marker="long lines")


if __name__ == "__main__":
    unittest.main()
