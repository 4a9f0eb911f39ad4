"""Node.js mail clients against the real binary: imapflow (the IMAP library
of Nodemailer's author, stricter than imaplib) logs in over plain text, TLS
and STARTTLS, lists mailboxes, searches for UTF-8 subjects, fetches the
BODYSTRUCTURE and bytes of a message/global part, downloads a big attachment
in partial fetches and waits in IDLE for deliveries and another session's
changes; nodemailer submits with STARTTLS + AUTH PLAIN / LOGIN and over
SMTPS, and relays over plain SMTP, and what arrived is compared byte for byte
with what nodemailer sent. The scripts are in tests/integration/node
(package-lock.json pins the versions; tools/install-deps.sh runs `npm ci`
there).

Each script reads one JSON object on stdin and answers with JSON lines;
ImapFlow and nodemailer run with their own logs captured, which a failing
script prints with its error (RINGPOST_NODE_DEBUG=1 copies them to stderr).
"""

import base64
import email
import email.header
import email.policy
import hashlib
import imaplib
import json
import os
import quopri
import random
import re
import selectors
import shutil
import subprocess
import tempfile
import time

import harness
from harness import ServerTestCase

NODE_DIR = os.path.join(harness.HERE, "node")
# One node script run, in seconds: generous for the ASan build, but bounded.
SCRIPT_TIMEOUT = 90
# IDLE: how long the Python side waits for imapflow's "idling" and "exists" lines.
IDLE_WAIT = 60

PASSWORD = "node-secret-1"
READER = "flow@localhost"          # the imapflow search/fetch mailbox
IDLER = "idler@localhost"          # the IDLE tests' mailboxes
IDLER_TLS = "idler-tls@localhost"
BIG_READER = "big@localhost"       # one message with a 1.5 MB attachment
SUBMITTER = "mailer@localhost"     # nodemailer's AUTH user on submission
RECIPIENT = "inbox@localhost"      # receives what nodemailer sends
SENDER = "feeder@example.org"

# The UTF-8 subjects and how they travel in the Subject header.
MOENCH = "Viele Grüße vom Mönch"
PRIVET = "Привет из Москвы"
SUBJECTS = {
    "plain": "plain ascii subject",
    "q": "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=",                        # Grüße aus Köln
    "b": email.header.Header(MOENCH, "utf-8").encode(),                       # =?utf-8?b?...?=
    "koi8": "=?KOI8-R?B?%s?=" % base64.b64encode(PRIVET.encode("koi8-r")).decode(),
    "global": "forwarded with message/global",
}

# The attached message/global: 8bit UTF-8 in its header and body.
GLOBAL_PART = ("From: Jörg <jörg@example.de>\r\n"
               "To: <anna@example.org>\r\n"
               "Subject: Grüße — ünïcödé header\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n"
               "\r\n"
               "Ein Körper mit Umlauten: äöü ÄÖÜ ß.\r\n"
               "Второй абзац.\r\n").encode("utf-8")


# Per kind: the From header and the text body (Content-Type and -Transfer-Encoding, bytes).
FEEDER = "Feeder <%s>" % SENDER
SEED_BODIES = {
    "plain": (FEEDER, "text/plain; charset=us-ascii", "7bit", b"Seeded for imapflow.\r\n"),
    "q": ("=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>", "text/plain; charset=us-ascii", "7bit",
          b"Seeded for imapflow.\r\n"),
    "b": (FEEDER, "text/plain; charset=utf-8", "base64",
          base64.encodebytes("Bärenhunger und Grüße\r\n".encode()).replace(b"\n", b"\r\n")),
    "koi8": (FEEDER, "text/plain; charset=koi8-r", "quoted-printable",
             quopri.encodestring("Привет из МОСКВЫ\r\n".encode("koi8-r"))),
}


def seed_message(kind):
    """The message for SUBJECTS[kind] as CRLF bytes; its Message-ID names the kind."""
    sender, ctype, cte, body = SEED_BODIES.get(kind, SEED_BODIES["plain"])
    head = ("From: %s\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s.seed@client.test>\r\n"
            "Date: Mon, 24 Nov 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            % (sender, READER, SUBJECTS[kind], kind)).encode()
    if kind != "global":
        return head + ("Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n" % (ctype, cte)).encode() + body
    return (head + b'Content-Type: multipart/mixed; boundary="=_global"\r\n\r\n'
            b"--=_global\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe original is attached.\r\n"
            b"--=_global\r\nContent-Type: message/global\r\nContent-Transfer-Encoding: 8bit\r\n"
            b'Content-Disposition: attachment; filename="original.u8msg"\r\n\r\n'
            + GLOBAL_PART +
            b"\r\n--=_global--\r\n")


# The big message's attachment: over ringpost's 256 KiB streaming threshold,
# so imapflow's download() reads it in many partial fetches of a streamed section.
BIG_PAYLOAD = random.Random(20261206).randbytes(1500 * 1024)


def big_message():
    b64 = base64.encodebytes(BIG_PAYLOAD).replace(b"\n", b"\r\n")
    return (b"From: Feeder <%s>\r\nTo: <%s>\r\nSubject: big attachment\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=big\r\n\r\n"
            b"--big\r\nContent-Type: text/plain\r\n\r\nA big attachment follows.\r\n"
            b"--big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="random.bin"\r\n\r\n'
            % (SENDER.encode(), BIG_READER.encode()) + b64 + b"--big--\r\n")


def deliver(srv, rcpt, message):
    """One SMTP transaction to the relay port (BODY=8BITMIME for 8bit messages); returns the QID."""
    opts = ["BODY=8BITMIME"] if any(b > 0x7f for b in message) else []
    return srv.send(SENDER, [rcpt], message, mail_options=opts)


def imap_messages(port, user):
    """{Message-ID: (uid, bytes)} of user's INBOX, read with imaplib BODY.PEEK[]."""
    c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    try:
        c.login(user, PASSWORD)
        typ, _ = c.select("INBOX", readonly=True)
        assert typ == "OK"
        typ, data = c.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        assert typ == "OK", data
        out = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            uid = int(item[0].split(b"UID ")[1].split()[0])
            msg = email.message_from_bytes(item[1], policy=email.policy.default)
            out[str(msg["Message-ID"]).strip()] = (uid, item[1])
        return out
    finally:
        c.logout()


class NodeScripts:
    """Runs the scripts in tests/integration/node (skips when node or the npm packages are missing)."""

    @staticmethod
    def require_node(tc):
        if not shutil.which("node"):
            harness.missing_dependency(tc, "node not installed (tools/install-deps.sh installs nodejs)")
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "imapflow")):
            harness.missing_dependency(tc, "tests/integration/node/node_modules missing (tools/install-deps.sh runs npm ci)")

    @staticmethod
    def run(tc, script, request, timeout=SCRIPT_TIMEOUT):
        """Run `node script` with request as JSON on stdin; returns its one JSON answer."""
        request = dict(request, timeoutMs=timeout * 1000)
        try:
            p = subprocess.run(["node", os.path.join(NODE_DIR, script)], input=json.dumps(request).encode(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=NODE_DIR,
                               timeout=timeout + 15, start_new_session=True)
        except subprocess.TimeoutExpired:
            tc.fail("node %s did not end within %ds" % (script, timeout + 15))
        out = p.stdout.decode("utf-8", "replace")
        try:
            answers = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
        except ValueError:
            answers = None
        if p.returncode != 0 or not answers or len(answers) != 1 or "error" in answers[0]:
            shown = json.dumps(answers, indent=1, ensure_ascii=False) if answers else out
            tc.fail("node %s: exit %d\nstdout:\n%s\nstderr:\n%s"
                    % (script, p.returncode, shown[:8000], p.stderr.decode("utf-8", "replace")[-3000:]))
        return answers[0]


class ImapflowTest(ServerTestCase):
    """imapflow reads a mailbox seeded over SMTP."""

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        for user in (READER, IDLER, IDLER_TLS, BIG_READER):
            cls.srv.add_user(user, PASSWORD)
        for kind in SUBJECTS:
            deliver(cls.srv, READER, seed_message(kind))
        entries = cls.srv.wait_mailbox(READER, len(SUBJECTS), timeout=30)
        if len(entries) != len(SUBJECTS):
            raise AssertionError("seeding: %d of %d messages delivered\n%s"
                                 % (len(entries), len(SUBJECTS), cls.srv.diagnostics()))
        deliver(cls.srv, BIG_READER, big_message())
        if len(cls.srv.wait_mailbox(BIG_READER, 1, timeout=30)) != 1:
            raise AssertionError("seeding: the big message was not delivered\n%s" % cls.srv.diagnostics())
        # UIDs as imaplib sees them, by the kind in each Message-ID.
        cls.stored = {mid.split(".")[0].lstrip("<"): v for mid, v in imap_messages(cls.srv.imap_port, READER).items()}

    def setUp(self):
        super().setUp()
        NodeScripts.require_node(self)

    def uids(self, *kinds):
        return sorted(self.stored[k][0] for k in kinds)

    def check(self, tls, port, **extra):
        req = {"host": "127.0.0.1", "port": port, "tls": tls, "user": READER, "password": PASSWORD}
        req.update(extra)
        return NodeScripts.run(self, "imap_check.js", req)

    def assert_session(self, res, secure):
        self.assertTrue(res["authenticated"], res)
        self.assertEqual(res["secure"], secure, "imapflow's view of the connection: %r" % res)
        self.assertIn("IDLE", res["capabilities"])
        paths = {m["path"]: m["specialUse"] for m in res["mailboxes"]}
        self.assertEqual(paths, {"INBOX": "\\Inbox", "Sent": "\\Sent", "Drafts": "\\Drafts",
                                 "Trash": "\\Trash", "Junk": "\\Junk"}, res["mailboxes"])
        self.assertEqual(res["exists"], len(SUBJECTS))

    def test_login_and_list_plain_text(self):
        self.assert_session(self.check("none", self.srv.imap_port), secure=False)

    def test_login_and_list_implicit_tls(self):
        self.assert_session(self.check("implicit", self.srv.imaps_port), secure=True)

    def test_login_and_list_starttls(self):
        res = self.check("starttls", self.srv.imap_port)
        self.assert_session(res, secure=True)
        self.assertNotIn("STARTTLS", res["capabilities"], "after STARTTLS the capability is gone")

    def test_search_utf8_subjects_and_text(self):
        res = self.check("starttls", self.srv.imap_port, searches=[
            {"subject": "Grüße"},          # Q- and B-encoded UTF-8
            {"subject": "köln"},           # case-folded
            {"subject": "Mönch"},
            {"subject": "Привет"},         # KOI8-R encoded word
            {"subject": "plain ascii"},
            {"subject": "Größe"},          # in no subject
            {"from": "Müller"},            # an encoded display name
            {"body": "Bärenhunger"},       # a base64 UTF-8 body
            {"body": "москвы"},            # a quoted-printable KOI8-R body, case-folded
            {"body": "Umlauten: äöü"},     # in the message/global part's 8bit body
            {"text": "grüße"},             # headers and bodies, the attached message's too
            {"or": [{"from": "jörg"}, {"body": "Привет"}]},   # not the attached message's From
        ])
        self.assertEqual(res["searches"], [
            self.uids("q", "b"), self.uids("q"), self.uids("b"), self.uids("koi8"), self.uids("plain"), [],
            self.uids("q"), self.uids("b"), self.uids("koi8"), self.uids("global"),
            self.uids("q", "b", "global"), self.uids("q", "koi8"),
        ])

    def test_fetch_message_global_part(self):
        uid = self.stored["global"][0]
        res = self.check("none", self.srv.imap_port, fetch={"uid": uid, "part": "2"})
        bs = res["fetch"]["bodyStructure"]
        self.assertEqual(bs["type"], "multipart/mixed")
        self.assertEqual([n["part"] for n in bs["childNodes"]], ["1", "2"])
        text, glob = bs["childNodes"]
        self.assertEqual(text["type"], "text/plain")
        # The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1).
        self.assertEqual(text["size"], len(b"The original is attached."))
        self.assertEqual(glob["type"], "message/global", bs)
        self.assertEqual(glob["encoding"], "8bit")
        self.assertEqual(glob["size"], len(GLOBAL_PART), bs)
        self.assertEqual(glob.get("dispositionParameters"), {"filename": "original.u8msg"}, glob)
        self.assertEqual(glob.get("disposition"), "attachment", glob)
        for key in ("envelope", "childNodes"):
            self.assertNotIn(key, glob, "a basic part has no %s: %r" % (key, glob))
        self.assertEqual(base64.b64decode(res["fetch"]["partBase64"]), GLOBAL_PART, "BODY[2] bytes")
        self.assertEqual(base64.b64decode(res["download"]["base64"]), GLOBAL_PART, "download() of part 2")
        self.assertEqual(res["download"]["meta"]["contentType"], "message/global")
        self.assertEqual(res["fetch"]["size"], len(self.stored["global"][1]), "RFC822.SIZE")

    def test_download_big_attachment_in_chunks(self):
        stored = self.srv.mailbox_show(BIG_READER, self.srv.mailbox_list(BIG_READER)[0][0])
        res = NodeScripts.run(self, "imap_check.js", {
            "host": "127.0.0.1", "port": self.srv.imaps_port, "tls": "implicit", "user": BIG_READER,
            "password": PASSWORD,
            "downloads": [{"uid": 1, "part": "2"},                          # imapflow's 64 KiB chunks
                          {"uid": 1, "part": "2", "chunkSize": 100003},
                          {"uid": 1, "part": None, "chunkSize": 250000}]})  # the whole message
        want = hashlib.sha256(BIG_PAYLOAD).hexdigest()
        for d in res["downloads"][:2]:
            self.assertEqual((d["length"], d["sha256"]), (len(BIG_PAYLOAD), want), d)
            self.assertEqual((d["meta"]["contentType"], d["meta"]["encoding"]), ("application/octet-stream", "base64"))
            self.assertEqual(d["meta"]["filename"], "random.bin")
        whole = res["downloads"][2]
        self.assertEqual((whole["length"], whole["sha256"]), (len(stored), hashlib.sha256(stored).hexdigest()),
                         "download() of the whole message is `mailbox show`'s bytes")

    def idle_scenario(self, user, tls, port, auto_idle):
        """imapflow idles on user's empty INBOX while the test delivers two
        messages and another session (imaplib) flags and expunges the first:
        imapflow reports each change as an event, within IDLE_WAIT each."""
        req = {"host": "127.0.0.1", "port": port, "tls": tls, "user": user, "password": PASSWORD,
               "autoIdle": auto_idle, "until": "expunge", "timeoutMs": (IDLE_WAIT * 5 + 30) * 1000}
        # imapflow's whole log goes to a file, shown if the test fails.
        log = tempfile.TemporaryFile()
        self.addCleanup(log.close)
        p = subprocess.Popen(["node", os.path.join(NODE_DIR, "imap_idle.js")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=log, cwd=NODE_DIR, start_new_session=True,
                             env=dict(os.environ, RINGPOST_NODE_DEBUG="1"))
        self.addCleanup(self.end_process, p)
        p.stdin.write(json.dumps(req).encode())
        p.stdin.close()
        lines = LineReader(p.stdout)

        def expect(key, value, what):
            got = lines.wait_for(key, value, IDLE_WAIT)
            if got is None:
                self.fail("imapflow did not report %s within %ds\n%s" % (what, IDLE_WAIT, self.rest(p, lines, log)))
            return got

        first = expect("idling", True, "IDLE")
        self.assertEqual(first["exists"], 0)
        subjects = ["IDLE wake-up: Grüße", "IDLE second: Привет"]
        deliver(self.srv, user, harness.make_message(email.header.Header(subjects[0], "utf-8").encode(), to=user))
        self.assertEqual(expect("event", "exists", "the first delivery"),
                         {"event": "exists", "path": "INBOX", "count": 1, "prevCount": 0})
        other = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=30)
        self.addCleanup(lambda: other.logout() if other.state != "LOGOUT" else None)
        other.login(user, PASSWORD)
        other.select("INBOX")
        other.store("1", "+FLAGS", "(\\Flagged)")
        flags = expect("event", "flags", "the other session's STORE")
        # \Recent belongs to one session (the IDLE one may hold it): not compared.
        got = [f for f in flags["flags"] if f.lower() != "\\recent"]
        self.assertEqual((flags["seq"], flags["uid"], got), (1, 1, ["\\Flagged"]), flags)
        deliver(self.srv, user, harness.make_message(email.header.Header(subjects[1], "utf-8").encode(), to=user))
        self.assertEqual(expect("event", "exists", "the second delivery"),
                         {"event": "exists", "path": "INBOX", "count": 2, "prevCount": 1})
        other.store("1", "+FLAGS", "(\\Deleted)")
        other.expunge()
        expunge = expect("event", "expunge", "the other session's EXPUNGE")
        self.assertEqual((expunge["path"], expunge["seq"]), ("INBOX", 1), expunge)
        last = expect("last", None, "the newest message after IDLE")["last"]
        self.assertEqual((last["uid"], last["subject"]), (2, subjects[1]), last)
        try:
            code = p.wait(timeout=SCRIPT_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        if code != 0:
            self.fail("imap_idle.js did not log out and exit 0\n%s" % self.rest(p, lines, log))

    def test_idle_plain_text(self):
        self.idle_scenario(IDLER, "none", self.srv.imap_port, auto_idle=False)

    def test_auto_idle_implicit_tls(self):
        self.idle_scenario(IDLER_TLS, "implicit", self.srv.imaps_port, auto_idle=True)

    @staticmethod
    def end_process(p):
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stdout.close()

    @staticmethod
    def rest(p, lines, log):
        """What the script said so far (for a failure message)."""
        if p.poll() is None:
            p.kill()
        p.wait()
        log.seek(0)
        return "node imap_idle.js exit %s\nstdout:\n%s\nimapflow log (tail):\n%s" % (
            p.returncode, lines.transcript(), log.read().decode("utf-8", "replace")[-6000:])


class LineReader:
    """JSON lines from a child's stdout, each waited for at most a given time."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.buf = b""
        self.seen = []
        self.sel = selectors.DefaultSelector()
        self.sel.register(pipe, selectors.EVENT_READ)
        os.set_blocking(pipe.fileno(), False)

    def next(self, deadline):
        """The next line as JSON, or None at the deadline or EOF."""
        while b"\n" not in self.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.sel.select(remaining):
                return None
            data = self.pipe.read()
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        self.seen.append(json.loads(line))
        return self.seen[-1]

    def wait_for(self, key, value, timeout):
        """The first line whose `key` is `value` (any value if None), skipping
        others (e.g. flags events before an expunge); None on timeout or EOF."""
        deadline = time.monotonic() + timeout
        while True:
            obj = self.next(deadline)
            if obj is None or "error" in obj:
                return None
            if key in obj and (value is None or obj[key] == value):
                return obj

    def transcript(self):
        try:
            self.buf += self.pipe.read() or b""
        except (OSError, ValueError):
            pass
        return "\n".join(json.dumps(o, ensure_ascii=False)[:2000] for o in self.seen) + "\n" + \
            self.buf.decode("utf-8", "replace")


class NodemailerTest(ServerTestCase):
    """nodemailer sends; the store holds exactly what it sent."""

    SUBJECT = "Rechnung für März — 請求書 ✓"
    TEXT = "Hallo,\nanbei die Rechnung für März.\n\nGrüße\n"
    ATTACHMENT = bytes(range(256)) * 40 + "Ünïcödé tail\n".encode()

    @classmethod
    def setUpClass(cls):
        # relay_networks without 127.0.0.1: submission needs AUTH to relay,
        # and the plain relay port accepts only mail for local domains.
        cls.srv = cls.start_class_server({"relay": {"relay_networks": ["192.0.2.0/24"]}})
        cls.srv.add_user(SUBMITTER, PASSWORD)
        cls.srv.add_user(RECIPIENT, PASSWORD)

    def setUp(self):
        super().setUp()
        NodeScripts.require_node(self)

    def send(self, port, sender, **extra):
        req = {"host": "127.0.0.1", "port": port, "from": sender, "to": [RECIPIENT],
               "subject": self.SUBJECT, "text": self.TEXT,
               "attachments": [{"filename": "Rechnung-März.bin", "contentType": "application/octet-stream",
                                "base64": base64.b64encode(self.ATTACHMENT).decode()}]}
        req.update(extra)
        res = NodeScripts.run(self, "send_mail.js", req)
        self.assertEqual(res["accepted"], [RECIPIENT], res)
        self.assertEqual(res["rejected"], [], res)
        self.assertRegex(res["response"], r"^250 ", res)
        return harness.parse_qid(res["response"][4:]), res

    def check_arrived(self, qid, res, sender, protocol):
        """The stored message is Return-Path/Delivered-To/Received + exactly nodemailer's bytes,
        IMAP serves the same, and Python's email package reads the subject, text and attachment."""
        # MailComposer leaves the text's "\n" as it is; nodemailer's SMTP
        # DATA stream sends every line end as CRLF (and dot-stuffs).
        sent = re.sub(rb"\r?\n", b"\r\n", base64.b64decode(res["messageBase64"]))
        harness.verify_local(self, self.srv, RECIPIENT, sender, qid, sent, protocol=protocol, wait=15)
        by_id = imap_messages(self.srv.imap_port, RECIPIENT)
        self.assertIn(res["messageId"], by_id, "IMAP INBOX of %s: %r" % (RECIPIENT, list(by_id)))
        served = by_id[res["messageId"]][1]
        mid, _ = harness.find_mailbox_entry(self.srv, RECIPIENT, qid=qid)
        self.assertEqual(served, self.srv.mailbox_show(RECIPIENT, mid), "IMAP BODY[] is the stored message")
        msg = email.message_from_bytes(served, policy=email.policy.default)
        self.assertEqual(msg["Subject"], self.SUBJECT)
        self.assertEqual(msg["To"].addresses[0].addr_spec, RECIPIENT)
        self.assertEqual(msg.get_body(("plain",)).get_content().replace("\r\n", "\n"), self.TEXT)
        attachments = list(msg.iter_attachments())
        self.assertEqual(len(attachments), 1)
        self.assertEqual(attachments[0].get_filename(), "Rechnung-März.bin")
        self.assertEqual(attachments[0].get_content(), self.ATTACHMENT)

    def submit(self, method):
        qid, res = self.send(self.srv.submission_port, SUBMITTER, requireTLS=True,
                             auth={"user": SUBMITTER, "pass": PASSWORD, "method": method})
        verbs = res["commands"]
        self.assertEqual(verbs[:4], ["EHLO", "STARTTLS", "EHLO", "AUTH " + method], res)
        self.assertNotIn("STARTTLS", verbs[4:])
        self.check_arrived(qid, res, SUBMITTER, "ESMTPSA")

    def test_submission_starttls_auth_plain(self):
        self.submit("PLAIN")

    def test_submission_starttls_auth_login(self):
        self.submit("LOGIN")

    def test_smtps_auth_plain(self):
        qid, res = self.send(self.srv.smtps_port, SUBMITTER, secure=True,
                             auth={"user": SUBMITTER, "pass": PASSWORD, "method": "PLAIN"})
        self.assertEqual(res["commands"][:2], ["EHLO", "AUTH PLAIN"], res)
        self.check_arrived(qid, res, SUBMITTER, "ESMTPSA")

    def test_relay_port_plain_smtp(self):
        qid, res = self.send(self.srv.port, SENDER, ignoreTLS=True)
        self.assertEqual(res["commands"][:3], ["EHLO", "MAIL", "RCPT"], res)
        self.check_arrived(qid, res, SENDER, "ESMTP")
