"""FETCH of unusual messages against the real binary with Python's imaplib:
message/global described as an IMAP4rev1 basic part, NUL bytes sent as
0x80 so that RFC822.SIZE, literal sizes and partial offsets agree (small and
streamed messages), HEADER.FIELDS.NOT of a message with no body and no empty
line, and the ENVELOPEs of Dovecot imaptest's fetch-envelope script."""

import imaplib
import re

from harness import ServerTestCase

PASSWORD = "imap-fetch-1"

# imaptest src/tests/fetch-envelope.mbox (with the empty groups its current
# script expects in message 4's Cc).
IMAPTEST_MESSAGES = [
    b"Message-ID: <msg@id>\r\n"
    b"In-Reply-To: <reply@to.id>\r\n"
    b"Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n"
    b"Subject: subject header\r\n"
    b"From: From Real <fromuser@fromdomain.org>\r\n"
    b"To: To Real <touser@todomain.org>\r\n"
    b"Cc: Cc Real <ccuser@ccdomain.org>\r\n"
    b"Bcc: Bcc Real <bccuser@bccdomain.org>\r\n"
    b"Sender: Sender Real <senderuser@senderdomain.org>\r\n"
    b"Reply-To: ReplyTo Real <replytouser@replytodomain.org>\r\n"
    b"\r\nbody\r\n",
    b"Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: user@domain\r\n\r\nbody\r\n",
    b"Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: user@domain\r\n\r\nbody\r\n",
    b"Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n"
    b"From: user@domain (Real Name)\r\n"
    b"To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n"
    b"Cc: group:;, group2: ;\r\n"
    b"\r\nbody\r\n",
    b"Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: user@domain (Real Name)\r\nSender: \r\nReply-To: \r\n\r\nbody\r\n",
    b"Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: <@route:user@domain>\r\n\r\nbody\r\n",
]

# imaptest src/tests/fetch-envelope: the expected ENVELOPEs, in order.
IMAPTEST_ENVELOPES = [
    b'("Thu, 15 Feb 2007 01:02:03 +0200" "subject header" (("From Real" NIL "fromuser" "fromdomain.org")) '
    b'(("Sender Real" NIL "senderuser" "senderdomain.org")) (("ReplyTo Real" NIL "replytouser" "replytodomain.org")) '
    b'(("To Real" NIL "touser" "todomain.org")) (("Cc Real" NIL "ccuser" "ccdomain.org")) '
    b'(("Bcc Real" NIL "bccuser" "bccdomain.org")) "<reply@to.id>" "<msg@id>")',
    b'("Thu, 15 Feb 2007 01:02:03 +0200" NIL ((NIL NIL "user" "domain")) ((NIL NIL "user" "domain")) '
    b'((NIL NIL "user" "domain")) NIL NIL NIL NIL NIL)',
    b'("Thu, 15 Feb 2007 01:02:03 +0200" NIL ((NIL NIL "user" "domain")) ((NIL NIL "user" "domain")) '
    b'((NIL NIL "user" "domain")) NIL NIL NIL NIL NIL)',
    b'("Thu, 15 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) '
    b'(("Real Name" NIL "user" "domain")) ((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org")'
    b'(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")(NIL NIL NIL NIL)) '
    b'((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)',
    b'("Thu, 15 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) '
    b'(("Real Name" NIL "user" "domain")) NIL NIL NIL NIL NIL)',
    b'("Thu, 15 Feb 2007 01:02:03 +0200" NIL ((NIL "@route" "user" "domain")) ((NIL "@route" "user" "domain")) '
    b'((NIL "@route" "user" "domain")) NIL NIL NIL NIL NIL)',
]


def literal_of(data):
    """The (prefix, bytes) of the first literal in an imaplib FETCH answer."""
    for item in data:
        if isinstance(item, tuple):
            return item
    raise AssertionError("no literal in %r" % (data,))


class ImapFetchTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def mailbox(self, user, messages):
        """A logged-in imaplib connection with `messages` appended to a fresh
        user's INBOX, which is selected read-only."""
        self.srv.add_user(user, PASSWORD)
        c = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=15)
        self.addCleanup(lambda: c.logout() if c.state != "LOGOUT" else None)
        c.login(user, PASSWORD)
        for m in messages:
            typ, _ = c.append("INBOX", None, None, m)
            self.assertEqual(typ, "OK")
        typ, data = c.select("INBOX", readonly=True)
        self.assertEqual((typ, int(data[0])), ("OK", len(messages)))
        return c

    def test_message_global_is_a_basic_part(self):
        msg = (b"From: g@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
               b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
               b"--b\r\nContent-Type: message/global\r\n\r\nSubject: \xc3\xbc\r\n\r\nbody\r\n"
               b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: s\r\n\r\nbody\r\n"
               b"--b--\r\n")
        c = self.mailbox("global@localhost", [msg])
        typ, data = c.fetch("1", "(BODYSTRUCTURE)")
        self.assertEqual(typ, "OK")
        self.assertEqual(
            data[0],
            b'1 (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL)'
            b'("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 19 NIL NIL NIL NIL)'
            b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 18 (NIL "s" NIL NIL NIL NIL NIL NIL NIL NIL) '
            b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) '
            b'"MIXED" ("BOUNDARY" "b") NIL NIL NIL))')
        # The attached message is still reachable by section.
        typ, data = c.fetch("1", "(BODY.PEEK[2.HEADER])")
        self.assertEqual(literal_of(data)[1], b"Subject: \xc3\xbc\r\n\r\n")

    def check_nul_message(self, c, seq, stored):
        """RFC822.SIZE, BODY[] and partials of a message stored as `stored`."""
        sent = stored.replace(b"\0", b"\x80")
        typ, data = c.fetch(seq, "(RFC822.SIZE BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        prefix, body = literal_of(data)
        size = int(re.search(rb"RFC822\.SIZE (\d+)", prefix).group(1))
        announced = int(re.search(rb"\{(\d+)\}$", prefix).group(1))
        self.assertEqual((size, announced, len(body)), (len(stored),) * 3)
        self.assertEqual(body, sent)
        nul = stored.index(b"\0")
        for off in (nul, nul - 3, len(stored) - 4):
            typ, data = c.fetch(seq, "(BODY.PEEK[]<%d.7>)" % off)
            self.assertEqual(literal_of(data)[1], sent[off:off + 7], "partial at %d" % off)

    def test_nul_bytes_keep_sizes_and_offsets(self):
        small = b"From: nul@example.org\r\nSubject: nul\r\n\r\nab\0cd\r\nef\0\0\r\n"
        # Larger than the 256 KiB stream threshold: sent in chunks.
        lines = [b"line %06d %s" % (i, b"x" * (i % 50)) for i in range(9000)]
        big = b"From: big@example.org\r\nSubject: big\r\n\r\n" + b"\r\n".join(lines) + b"\r\n"
        big = bytearray(big)
        for at in range(1000, len(big), 70001):
            big[at] = 0
        big = bytes(big)
        self.assertGreater(len(big), 300 * 1024)
        c = self.mailbox("nul@localhost", [small, big])
        self.check_nul_message(c, "1", small)
        self.check_nul_message(c, "2", big)
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT])")
        self.assertEqual(literal_of(data)[1], b"ab\x80cd\r\nef\x80\x80\r\n")

    def test_header_fields_not_of_a_header_only_message(self):
        msg = b"From: short@example.org\r\nSubject: header only\r\n"
        c = self.mailbox("headeronly@localhost", [msg])
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS.NOT (FROM)])")
        self.assertEqual(literal_of(data)[1], b"Subject: header only\r\n")
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER])")
        self.assertEqual(literal_of(data)[1], msg)
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (FROM)])")
        self.assertEqual(literal_of(data)[1], b"From: short@example.org\r\n\r\n")

    def test_imaptest_fetch_envelope(self):
        c = self.mailbox("envelope@localhost", IMAPTEST_MESSAGES)
        typ, data = c.fetch("1:*", "(ENVELOPE)")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data), len(IMAPTEST_ENVELOPES))
        for n, (line, envelope) in enumerate(zip(data, IMAPTEST_ENVELOPES), start=1):
            self.assertEqual(line, b"%d (ENVELOPE %s)" % (n, envelope))
