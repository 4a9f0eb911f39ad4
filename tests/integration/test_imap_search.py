"""IMAP SEARCH over decoded text, against the real binary (RFC 3501 6.4.4):
headers after RFC 2047 decoding, bodies after their transfer encoding and
charset, case-insensitive beyond ASCII; FROM/TO/CC/BCC over the parsed
addresses (imaptest's search-addresses group); BADCHARSET for charsets
other than UTF-8 and US-ASCII."""

import base64
import imaplib

from harness import ServerTestCase

PASSWORD = "imap-search-1"


def message(headers, body):
    """CRLF message bytes from header lines and a body (str or bytes)."""
    head = "".join(h + "\r\n" for h in headers).encode()
    if isinstance(body, str):
        body = body.encode()
    return head + b"\r\n" + body


# The messages of the decoding tests, in mailbox order.
DECODING = [
    # 1: a Q-encoded UTF-8 subject
    message(["From: <a@example.org>", "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin"], "plain body\r\n"),
    # 2: B-encoded subject, one character split across two adjacent words
    message(["From: <a@example.org>",
             "Subject: =?UTF-8?B?w5xiZXJncsO2ww==?=\r\n =?UTF-8?B?n2VudGFiZWxsZQ==?="],
            "plain body\r\n"),
    # 3: a quoted-printable body, a word across a soft line break
    message(["From: <a@example.org>", "Subject: qp", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
            "Ein Fahrrad=\r\nschlauch f=C3=BCr M=C3=BCnchen\r\n"),
    # 4: a base64 body
    message(["From: <a@example.org>", "Subject: b64", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"],
            base64.encodebytes("The password is kumquat, \u00fcbrigens.\r\n".encode()).decode().replace("\n", "\r\n")),
    # 5: an ISO-8859-1 body in 8bit
    message(["From: <a@example.org>", "Subject: latin1", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: 8bit"],
            "Heute gibt es K\u00e4sekuchen.\r\n".encode("latin-1")),
    # 6: a text part and a base64 attachment; the attachment's raw base64
    #    text is not body text
    message(["From: <a@example.org>", "Subject: attached", "MIME-Version: 1.0",
             'Content-Type: multipart/mixed; boundary="b1"'],
            "--b1\r\nContent-Type: text/plain\r\n\r\nsee the file\r\n"
            "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(b"\x00\x01binary zebra data\xff" * 4).decode() + "\r\n--b1--\r\n"),
    # 7: over the 256 KiB stream threshold, so read part by part: text
    #    parts around a 1 MiB attachment and an encapsulated message
    message(["From: <a@example.org>", "Subject: =?UTF-8?Q?gro=C3=9Fe_Nachricht?=", "MIME-Version: 1.0",
             'Content-Type: multipart/mixed; boundary="b2"'],
            b"--b2\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Riesen=\r\nnachricht mit Anhang\r\n"
            b"--b2\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(bytes(range(256)) * 4096).replace(b"\n", b"\r\n")
            + b"--b2\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nDas Schlu\xdfwort.\r\n"
            b"--b2\r\nContent-Type: message/rfc822\r\n\r\n"
            b"Subject: =?UTF-8?Q?Eingebettet_=C3=84rger?=\r\n\r\nInnen.\r\n--b2--\r\n"),
]

# imaptest's src/tests/search-addresses.mbox, as CRLF messages.
ADDRESSES = [
    message(["From: user-from@domain.org", "To: user-to@domain.org", "Cc: user-cc@domain.org",
             "Bcc: user-bcc@domain.org"], "body\r\n"),
    message(["From: RealFrom <user-from@domain.org>", "To: RealTo <user-to@domain.org>",
             "Cc: RealCc <user-cc@domain.org>", "Bcc: RealBcc <user-bcc@domain.org>"], "body2\r\n"),
    message(["From: <user-from (comment)@ (comment) domain.org>", "To: <user-to@domain.org>",
             "Cc: <user-cc@domain.org>", "Bcc: <user-bcc@domain.org>"], "body3\r\n"),
    message(["From: user-from@domain.org (RealFrom)", "To: user-to@domain.org (RealTo)",
             "Cc: user-cc@domain.org (RealCc)", "Bcc: user-bcc@domain.org (RealBcc)"], "body4\r\n"),
    message(["From: user-from1@domain.org, user-from2@domain.org", "Cc: user-cc@domain.org"], "body5\r\n"),
    message(["To: groupname: groupuser1@domain.org, groupuser2@domain.org;,",
             "  groupname2: groupuser3@domain.org;"], "body5\r\n"),
    # 7: encoded display names (not in imaptest's mailbox)
    message(["From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>",
             'To: "=?ISO-8859-1?Q?Ren=E9e?=" <renee@example.org>',
             "Cc: cc-user@example.org (=?UTF-8?B?w4dhZ2xhcg==?=)"], "body7\r\n"),
]


class ImapSearchTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        cls.srv.add_user("search@localhost", PASSWORD)
        c = imaplib.IMAP4("127.0.0.1", cls.srv.imap_port, timeout=15)
        c.login("search@localhost", PASSWORD)
        c.create("decoding")
        c.create("addresses")
        for box, msgs in (("decoding", DECODING), ("addresses", ADDRESSES)):
            for m in msgs:
                typ, _ = c.append(box, None, None, m)
                assert typ == "OK", typ
        c.logout()

    def imap(self, mailbox):
        c = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=15)
        self.addCleanup(lambda: c.logout() if c.state != "LOGOUT" else None)
        c.login("search@localhost", PASSWORD)
        c.select(mailbox, readonly=True)
        return c

    def search(self, c, key, value, charset="UTF-8"):
        """SEARCH [CHARSET charset] key <value as a literal>: the numbers."""
        c.literal = value.encode("utf-8")
        typ, data = c.search(charset, key)
        self.assertEqual(typ, "OK", data)
        return [int(n) for n in data[0].split()]

    def test_subject_encoded_words_are_decoded(self):
        c = self.imap("decoding")
        self.assertEqual(self.search(c, "SUBJECT", "Grüße"), [1])
        self.assertEqual(self.search(c, "SUBJECT", "Grüße aus"), [1])
        self.assertEqual(self.search(c, "SUBJECT", "GRÜ"), [1])           # Ü folds to ü
        # Two adjacent B words: the blank between them goes, the ß split
        # across them is whole again.
        self.assertEqual(self.search(c, "SUBJECT", "Übergrößentabelle"), [2])
        self.assertEqual(self.search(c, "SUBJECT", "übergröß"), [2])
        self.assertEqual(self.search(c, "HEADER Subject", "grüße AUS"), [1])
        # The raw encoded word is not what is searched.
        self.assertEqual(self.search(c, "SUBJECT", "C3=BC"), [])
        self.assertEqual(self.search(c, "SUBJECT", "=?UTF-8?Q?"), [])

    def test_body_transfer_encodings_and_charsets_are_decoded(self):
        c = self.imap("decoding")
        self.assertEqual(self.search(c, "BODY", "Fahrradschlauch"), [3])   # across the soft break
        self.assertEqual(self.search(c, "BODY", "für münchen"), [3])
        self.assertEqual(self.search(c, "BODY", "FÜR MÜNCHEN"), [3])
        self.assertEqual(self.search(c, "BODY", "kumquat"), [4])
        self.assertEqual(self.search(c, "BODY", "ÜBRIGENS"), [4])
        self.assertEqual(self.search(c, "BODY", "Käsekuchen"), [5])
        self.assertEqual(self.search(c, "BODY", "KÄSEKUCHEN"), [5])
        self.assertEqual(self.search(c, "TEXT", "kumquat"), [4])
        self.assertEqual(self.search(c, "TEXT", "grüße"), [1])             # TEXT covers the header
        self.assertEqual(self.search(c, "BODY", "grüße"), [])
        self.assertEqual(self.search(c, "BODY", "see the file"), [6])
        raw = base64.b64encode(b"\x00\x01binary zebra data\xff" * 4).decode()[8:20]
        self.assertEqual(self.search(c, "BODY", raw), [])
        self.assertEqual(self.search(c, "TEXT", raw), [])

    def test_big_message_is_searched_part_by_part(self):
        c = self.imap("decoding")
        self.assertEqual(self.search(c, "SUBJECT", "GROSSE"), [])           # simple folding: ß is not ss
        self.assertEqual(self.search(c, "SUBJECT", "GROßE NACHRICHT"), [7])
        self.assertEqual(self.search(c, "BODY", "Riesennachricht"), [7])
        self.assertEqual(self.search(c, "BODY", "SCHLUßWORT"), [7])         # after the attachment
        self.assertEqual(self.search(c, "BODY", "eingebettet ärger"), [7])  # encapsulated header
        self.assertEqual(self.search(c, "TEXT", "innen."), [7])
        self.assertEqual(self.search(c, "BODY", "AAECAwQFBgcICQoLDA0ODxAREhMU"), [])   # the PDF's base64

    def test_search_charset_us_ascii_and_no_charset(self):
        c = self.imap("decoding")
        self.assertEqual(self.search(c, "BODY", "KUMQUAT", charset="US-ASCII"), [4])
        typ, data = c.search(None, "BODY", "Fahrradschlauch")
        self.assertEqual((typ, data[0].split()), ("OK", [b"3"]))

    def test_unknown_charset_is_badcharset(self):
        c = self.imap("decoding")
        tag = c._new_tag()
        c.send(tag + b" SEARCH CHARSET KOI8-R SUBJECT x\r\n")
        while True:
            line = c.readline()
            if line.startswith(tag):
                break
        self.assertEqual(line.rstrip(b"\r\n"), tag + b" NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset")

    def test_imaptest_search_addresses(self):
        c = self.imap("addresses")
        expected = [
            # full addresses
            ("FROM", "user-from@domain.org", [1, 2, 3, 4]),
            ("TO", "user-to@domain.org", [1, 2, 3, 4]),
            ("CC", "user-cc@domain.org", [1, 2, 3, 4, 5]),
            ("BCC", "user-bcc@domain.org", [1, 2, 3, 4]),
            # real names, a comment the only name in message 4
            ("FROM", "realfrom", [2, 4]),
            ("TO", "realto", [2, 4]),
            ("CC", "realcc", [2, 4]),
            ("BCC", "realbcc", [2, 4]),
            # substrings of addresses and names
            ("FROM", "ser-fro", [1, 2, 3, 4, 5]),
            ("TO", "ser-t", [1, 2, 3, 4]),
            ("CC", "ser-c", [1, 2, 3, 4, 5]),
            ("BCC", "ser-bc", [1, 2, 3, 4]),
            ("FROM", "ealfro", [2, 4]),
            ("TO", "ealt", [2, 4]),
            ("CC", "ealc", [2, 4]),
            ("BCC", "ealbc", [2, 4]),
            # several addresses
            ("FROM", "user-from1", [5]),
            ("FROM", "user-from2", [5]),
            # groups
            ("TO", "groupname", [6]),
            ("TO", "groupname2", [6]),
            ("TO", "groupuser1", [6]),
            ("TO", "groupuser2", [6]),
            ("TO", "groupuser3", [6]),
            ("TO", "groupuser4", []),
            # decoded display names and comments
            ("FROM", "jörg müller", [7]),
            ("FROM", "JÖRG MÜLLER <joerg@example.org>", [7]),
            ("TO", "renée", [7]),
            ("CC", "çaglar", [7]),
            ("FROM", "J=C3=B6rg", []),
        ]
        for key, value, want in expected:
            with self.subTest(key=key, value=value):
                self.assertEqual(self.search(c, key, value), want)
        # existence
        for field, want in (("FROM", [1, 2, 3, 4, 5, 7]), ("TO", [1, 2, 3, 4, 6, 7]), ("CC", [1, 2, 3, 4, 5, 7]),
                            ("BCC", [1, 2, 3, 4])):
            with self.subTest(header=field):
                typ, data = c.search(None, "HEADER", field, '""')
                self.assertEqual([int(n) for n in data[0].split()], want)
