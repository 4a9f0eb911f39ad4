"""CHUNKING / BDAT (RFC 3030) and BINARYMIME."""

import poplib
import unittest

import harness
from harness import ServerTestCase, make_message, verify_local


def chunks_of(data, sizes):
    out, pos = [], 0
    for s in sizes:
        out.append(data[pos:pos + s])
        pos += s
    if pos < len(data):
        out.append(data[pos:])
    return out


def bdat(c, chunk, last=False):
    """Send one BDAT command with its chunk (no CRLF after the chunk) and read the reply."""
    c.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk)
    return c.read_reply()


class BdatTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        for u in ("bdat@localhost", "bdat2@localhost", "bdat3@localhost", "bin@localhost", "barelf@localhost"):
            cls.srv.add_user(u)

    def start_tx(self, rcpt, mail_params=""):
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<chunky@example.org>" + mail_params), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, client=c)
        return c

    def test_chunks_then_bdat_0_last(self):
        # Lines starting with "." are NOT unstuffed in BDAT; a chunk boundary splits a CRLF.
        msg = make_message("bdat zero last", [".not stuffed", "..two", ".", "end"])
        i = msg.index(b"\r\n.not") + 1   # cut between CR and LF
        parts = [msg[:7], msg[7:i], msg[i:i + 10], msg[i + 10:]]
        c = self.start_tx("bdat@localhost")
        for p in parts:
            r = bdat(c, p)
            self.assertReply(r, 250, client=c, msg="BDAT chunk of %d bytes" % len(p))
        r = c.cmd("BDAT 0 LAST")
        self.assertReply(r, 250, "2.0.0", client=c, msg="BDAT 0 LAST")
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        verify_local(self, self.srv, "bdat@localhost", "chunky@example.org", qid, msg, marker="bdat zero last")

    def test_chunks_then_bdat_n_last(self):
        msg = make_message("bdat n last", ["line %d" % i for i in range(200)])
        parts = chunks_of(msg, [1, 2, 100, 1000])
        c = self.start_tx("bdat2@localhost")
        for p in parts[:-1]:
            self.assertReply(bdat(c, p), 250, client=c)
        r = bdat(c, parts[-1], last=True)
        self.assertReply(r, 250, "2.0.0", client=c, msg="BDAT n LAST")
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        verify_local(self, self.srv, "bdat2@localhost", "chunky@example.org", qid, msg, marker="bdat n last")

    def test_bdat_pipelined(self):
        msg = make_message("bdat pipelined", ["pipelined chunks", ".", "done"])
        parts = chunks_of(msg, [50, 3, 60])
        c = self.srv.raw()
        self.addCleanup(c.close)
        wire = b"EHLO client.test\r\nMAIL FROM:<chunky@example.org>\r\nRCPT TO:<bdat3@localhost>\r\n"
        for p in parts[:-1]:
            wire += b"BDAT %d\r\n" % len(p) + p
        wire += b"BDAT %d LAST\r\n" % len(parts[-1]) + parts[-1]
        wire += b"QUIT\r\n"
        c.send(wire)
        n = 3 + len(parts) + 1
        replies = c.read_replies(n)
        codes = [r.code for r in replies]
        self.assertEqual(codes, [250] * (n - 1) + [221], "replies %r\n%s" % (replies, c.transcript()))
        qid = harness.parse_qid(replies[-2].text)
        self.assertClosed(c, 3, "after QUIT")
        verify_local(self, self.srv, "bdat3@localhost", "chunky@example.org", qid, msg, marker="bdat pipelined")

    def test_binarymime(self):
        head = make_message("binary", [], extra_headers=["MIME-Version: 1.0",
                                                         "Content-Type: application/octet-stream",
                                                         "Content-Transfer-Encoding: binary"])
        body = bytes(range(256)) * 8 + b"\n.\n\r.\r\n\x00\x00 bare LF and CR stay as they are\r"
        msg = head + body
        c = self.start_tx("bin@localhost", " BODY=BINARYMIME")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1", client=c, msg="DATA after BODY=BINARYMIME (RFC 3030)")
        r = bdat(c, msg, last=True)
        self.assertReply(r, 250, "2.0.0", client=c, msg="BDAT LAST with binary content")
        qid = harness.parse_qid(r.text)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        verify_local(self, self.srv, "bin@localhost", "chunky@example.org", qid, msg, marker="binary")

    def test_bdat_without_transaction_consumes_chunk(self):
        # The chunk must be read (and discarded) even when BDAT fails, so the
        # session stays in sync: "NOOP\r\n" inside the chunk is not a command.
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        c.send(b"BDAT 12\r\nNOOP\r\nNOOP\r\nRSET\r\n")
        r1 = c.read_reply()
        self.assertReply(r1, 503, "5.5.1", client=c, msg="BDAT outside a transaction")
        r2 = c.read_reply()
        self.assertReply(r2, 250, client=c, msg="RSET after the discarded chunk")
        self.assertIn("2.0.0", r2.text)
        c.send(b"NOOP\r\n")
        self.assertReply(c.read_reply(), 250, client=c)

    def test_data_after_bdat_is_bad_sequence(self):
        c = self.start_tx("bdat@localhost")
        self.assertReply(bdat(c, b"Hello"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1", client=c, msg="DATA after BDAT in one transaction")

    def test_bdat_bad_syntax(self):
        c = self.start_tx("bdat@localhost")
        self.assertReply(c.cmd("BDAT x"), 501, "5.5.4", client=c, msg="BDAT with a non-numeric size")
        self.assertReply(c.cmd("NOOP"), 250, client=c)

    def test_bare_line_feeds_are_stored_as_crlf(self):
        # A 7BIT message sent with BDAT holding bare LFs is stored as DATA
        # would store it: POP3's LIST size is then what RETR sends (it was
        # smaller by one byte per bare LF, which the dot-stuffer widened).
        msg = b"Subject: bare\nMessage-ID: <bare@bdat.test>\n\nline one\nline two\r\nline three\n"
        c = self.start_tx("barelf@localhost")
        self.assertReply(bdat(c, msg[:20]), 250, client=c)
        self.assertReply(bdat(c, msg[20:], last=True), 250, "2.0.0", client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        self.srv.wait_mailbox("barelf@localhost", 1)
        p = poplib.POP3("127.0.0.1", self.srv.pop3_port, timeout=10)
        try:
            p.user("barelf@localhost")
            p.pass_("test-password-1")
            listed = int(p.list(1).split()[2])
            _, lines, _ = p.retr(1)
            sent = sum(len(line) + 2 for line in lines)
            self.assertEqual(listed, sent, "LIST size against the bytes RETR sent")
            self.assertEqual(lines[-4:], [b"", b"line one", b"line two", b"line three"])
            p.quit()
        finally:
            p.close()


if __name__ == "__main__":
    unittest.main()
