"""Real mail clients pull a 1,000-message mailbox: fetchmail over POP3 and
mbsync (isync) over IMAP, each checked byte for byte against what the server
serves for every message, and against what was submitted over SMTP.

The mailbox is filled through the real SMTP path (a few smtplib connections
in parallel): mostly ~4 KiB text, some with lines that start with "." (and
ones that are only "."), some 8bit UTF-8 with lines up to the 998-octet
limit, MIME with base64, folded and long headers, an empty body, and a few
of 100 KiB to 1 MiB. The Debian packages are `fetchmail` and `isync`
(tools/install-deps.sh installs them).
"""

import base64
import getpass
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import harness
import retrieval
from harness import ServerTestCase

USER = "puller@localhost"
PASSWORD = "pull-secret-1"
SENDER = "feeder@example.org"
COUNT = 1000
SMTP_CONNECTIONS = 4
SEED = int(os.environ.get("RINGPOST_CLIENTS_SEED", "20261129"))
CLIENT_TIMEOUT = 180       # seconds for one fetchmail / mbsync run (ASan builds are slow)

WORDS = ("mail ring post queue relay spool header body line octet message client server "
         "mailbox folder sync fetch pull store flag seen answer draft trash junk sent inbox "
         "alpha beta gamma delta epsilon zeta theta lambda sigma omega").split()
UTF8_WORDS = ("Grüße naïve café façade smørrebrød Ωμέγα αλφα Привет мир 日本語 テキスト "
              "中文 한국어 ✓ → € ½ ß ø å æ").split()
DOT_LINES = [".", "..", "...", ".hidden line", ". dot space", "..double dot", ".\tdot tab",
             "From the start of a line", ">From quoted", " .space dot"]
# Messages of 100 KiB and more: seq -> (kind, approximate size)
BIG = {137: ("plain", 110 * 1024), 411: ("dots", 200 * 1024), 650: ("8bit", 300 * 1024),
       808: ("mime", 600 * 1024), 999: ("plain", 1024 * 1024)}

X_SEQ_RE = re.compile(rb"^X-Seq: (\d{4})\r?$", re.M)


def _wrap_words(rng, words, target, width=76):
    """Lines of words, each at most `width` octets, about `target` octets in all."""
    lines, size, cur = [], 0, []
    while size < target:
        w = rng.choice(words)
        cand = " ".join(cur + [w])
        if cur and len(cand.encode()) > width:
            line = " ".join(cur)
            lines.append(line)
            size += len(line.encode()) + 2
            cur = [w]
        else:
            cur.append(w)
    if cur:
        lines.append(" ".join(cur))
    return lines


def _long_utf8_line(rng, octets):
    """A UTF-8 line of exactly `octets` octets (ASCII padding at the end)."""
    out = b""
    while True:
        w = (rng.choice(UTF8_WORDS) + " ").encode()
        if len(out) + len(w) > octets:
            break
        out += w
    return out + b"x" * (octets - len(out))


def build_message(rng, seq, kind, size):
    """One message as CRLF bytes: headers (X-Seq names it) + a body of `kind`."""
    hdr = [
        "From: Feeder <%s>" % SENDER,
        "To: <%s>" % USER,
        "Subject: retrieval %04d %s" % (seq, kind),
        "Message-ID: <seq-%04d.%d@client.test>" % (seq, SEED),
        "Date: Mon, 24 Nov 2025 10:%02d:%02d +0000" % (seq // 60 % 60, seq % 60),
        "X-Seq: %04d" % seq,
    ]
    body = []
    if kind == "plain":
        body = _wrap_words(rng, WORDS, size)
    elif kind == "dots":
        body = _wrap_words(rng, WORDS, size)
        for _ in range(max(3, size // 400)):
            body.insert(rng.randrange(len(body) + 1), rng.choice(DOT_LINES))
        if seq % 3 == 0:
            body.append(".")          # the body ends in a line that is only "."
        if seq % 3 == 1:
            body.insert(0, ".")       # and starts with one
    elif kind == "8bit":
        hdr += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit"]
        lines = []
        total = 0
        while total < size:
            n = rng.choice((998, 998, 997, 500, 120, 76, 1))   # 998: RFC 5322 2.1.1 limit
            ln = _long_utf8_line(rng, n)
            lines.append(ln)
            total += len(ln) + 2
        return ("\r\n".join(hdr) + "\r\n\r\n").encode() + b"\r\n".join(lines) + b"\r\n"
    elif kind == "mime":
        boundary = "=_ringpost_%04d_boundary" % seq
        payload = rng.randbytes(max(1, size * 3 // 4))
        b64 = base64.encodebytes(payload).decode().replace("\n", "\r\n").rstrip("\r\n").split("\r\n")
        hdr += ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="%s"' % boundary]
        body = ["This is a multi-part message in MIME format.", "", "--" + boundary,
                "Content-Type: text/plain; charset=us-ascii", ""] + _wrap_words(rng, WORDS, 300) + [
                "", "--" + boundary, "Content-Type: application/octet-stream",
                "Content-Transfer-Encoding: base64",
                'Content-Disposition: attachment; filename="blob-%04d.bin"' % seq, ""] + b64 + [
                "", "--" + boundary + "--", ""]
    elif kind == "headers":
        hdr += ["X-Folded: first part of a folded header",
                "\tsecond part after a tab",
                "  third part after spaces",
                "X-Long: " + "h" * 900,
                "Received: from elsewhere.test (elsewhere.test [192.0.2.1])",
                "\tby relay.test; Mon, 24 Nov 2025 09:59:00 +0000",
                "X-Empty:",
                "Comments: a header with a \"quoted\" and (commented) text"]
        body = [] if seq % 2 else _wrap_words(rng, WORDS, 200)
    text = "\r\n".join(hdr) + "\r\n\r\n"
    if body:
        text += "\r\n".join(body) + "\r\n"
    return text.encode("utf-8")


def build_corpus():
    rng = random.Random(SEED)
    kinds = ["plain"] * 6 + ["dots", "8bit", "mime", "headers"]
    corpus = []
    for seq in range(COUNT):
        if seq in BIG:
            kind, size = BIG[seq]
        else:
            kind = kinds[seq % len(kinds)]
            size = rng.randint(3200, 4800) if kind != "headers" else 0
        corpus.append(build_message(rng, seq, kind, size))
    return corpus


def deliver(srv, corpus):
    """Submit every message over SMTP_CONNECTIONS parallel smtplib sessions; returns {seq: qid}."""
    qids = {}
    errors = []
    lock = threading.Lock()

    def worker(k):
        try:
            c = srv.smtp(timeout=60)
            try:
                for seq in range(k, len(corpus), SMTP_CONNECTIONS):
                    msg = corpus[seq]
                    opts = ["BODY=8BITMIME"] if any(b > 0x7f for b in msg) else []
                    qid = harness.send_on(c, SENDER, [USER], msg, mail_options=opts)
                    with lock:
                        qids[seq] = qid
            finally:
                c.quit()
        except Exception as e:   # reported by the main thread
            errors.append("connection %d: %r" % (k, e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(SMTP_CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors or len(qids) != len(corpus):
        raise AssertionError("SMTP submission failed (%d of %d queued): %s" % (len(qids), len(corpus), errors))
    return qids


def seq_of(data):
    m = X_SEQ_RE.findall(data.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in data else data)
    if len(m) != 1:
        raise AssertionError("message has %d X-Seq headers: %r" % (len(m), data[:500]))
    return int(m[0])


def header_end(data):
    """Offset just past the header section's last line end (before the empty line)."""
    i = data.find(b"\r\n\r\n")
    return len(data) if i < 0 else i + 2


def lf_to_crlf(data, who):
    """Undo the CRLF -> LF conversion of a local mail file. Lossless here
    because no message of the corpus has a bare CR or LF; a CR left in the
    file would mean the client did something else."""
    if b"\r" in data:
        raise AssertionError("%s: the file still has CR characters; expected pure LF line ends" % who)
    return data.replace(b"\n", b"\r\n")


def parse_bsmtp(data):
    """[(sender, message)] from a BSMTP file: per transaction MAIL FROM, RCPT
    TO, DATA, then the dot-stuffed message up to a line that is only "."."""
    out, lines, i = [], data.split(b"\r\n"), 0
    if lines and lines[-1] == b"":
        lines.pop()
    while i < len(lines):
        m = re.fullmatch(rb"MAIL FROM:<([^>]*)>.*", lines[i])
        if not m:
            raise AssertionError("BSMTP line %d: expected MAIL FROM, got %r" % (i + 1, lines[i][:200]))
        sender, i = m.group(1), i + 1
        rcpts = 0
        while i < len(lines) and lines[i].startswith(b"RCPT TO:<"):
            rcpts, i = rcpts + 1, i + 1
        if rcpts == 0 or i >= len(lines) or lines[i] != b"DATA":
            raise AssertionError("BSMTP line %d: expected RCPT TO lines, then DATA" % (i + 1))
        i += 1
        body = []
        while i < len(lines) and lines[i] != b".":
            line = lines[i]
            body.append(line[1:] if line.startswith(b".") else line)   # undo the dot-stuffing
            i += 1
        if i >= len(lines):
            raise AssertionError("BSMTP: the last message has no end-of-data line")
        out.append((sender, b"".join(line + b"\r\n" for line in body)))
        i += 1
    return out


class RetrievalClientsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        cls.srv = cls.start_class_server({"log": {"level": "warn"}})
        cls.srv.add_user(USER, PASSWORD)
        cls.corpus = build_corpus()
        cls.qids = deliver(cls.srv, cls.corpus)
        entries = cls.srv.wait_mailbox(USER, COUNT, timeout=60)
        if len(entries) != COUNT:
            raise AssertionError("local delivery: %d of %d messages in the INBOX after 60s\n%s"
                                 % (len(entries), COUNT, cls.srv.diagnostics()))
        cls.entries = entries
        cls._served = None
        print("\n[retrieval] corpus %d messages, %d octets, seed %d; delivered in %.1fs"
              % (COUNT, sum(len(m) for m in cls.corpus), SEED, time.monotonic() - t0), flush=True)

    def served(self):
        """{uid: bytes} as IMAP serves it (BODY.PEEK[]), checked once against
        POP3's RETR, the store (`mailbox show`) and the submitted corpus."""
        cls = type(self)
        if cls._served is not None:
            return cls._served
        imap = retrieval.imap_dump(self.srv.imap_port, USER, PASSWORD)
        seen = [uid for uid, (flags, _) in imap.items() if b"\\Seen" in flags]
        self.assertEqual(seen, [], "BODY.PEEK[] must not set \\Seen (RFC 3501 6.4.5)")
        pop = retrieval.pop3_dump(self.srv.pop3_port, USER, PASSWORD)
        self.assertEqual(len(imap), COUNT)
        self.assertEqual(sorted(pop), sorted(imap), "POP3 UIDL uids and IMAP UIDs name the same messages")
        served = {}
        by_seq = {}
        for uid, (_, data) in imap.items():
            if pop[uid] != data:
                self.fail("uid %d: POP3 RETR (%d octets) and IMAP BODY[] (%d octets) differ"
                          % (uid, len(pop[uid]), len(data)))
            seq = seq_of(data)
            self.assertNotIn(seq, by_seq, "message %04d is in the INBOX twice (uids %s and %d)"
                             % (seq, by_seq.get(seq), uid))
            by_seq[seq] = uid
            # The submitted message is recoverable: what ringpost serves is
            # Return-Path + Delivered-To + its Received header + the message.
            _, received, rest = harness.split_mailbox_message(data, SENDER, USER)
            harness.check_received(self, received, self.qids[seq], "ESMTP")
            if rest != self.corpus[seq]:
                self.fail("message %04d (uid %d): the served message after ringpost's headers differs from "
                          "what was submitted (%d vs %d octets, sha256 %s vs %s)"
                          % (seq, uid, len(rest), len(self.corpus[seq]), harness.sha256(rest),
                             harness.sha256(self.corpus[seq])))
            served[uid] = data
        self.assertEqual(sorted(by_seq), list(range(COUNT)), "every submitted message is in the INBOX")
        # The store agrees: `mailbox list` sizes in INBOX order, and `mailbox
        # show` of a few (first, the biggest, last) byte for byte.
        uids = sorted(served)
        self.assertEqual([int(line.split()[1]) for _, line in self.entries], [len(served[u]) for u in uids],
                         "mailbox list sizes, in order, are the served sizes")
        biggest = max(range(COUNT), key=lambda i: len(served[uids[i]]))
        for i in (0, biggest, COUNT - 1):
            self.assertEqual(self.srv.mailbox_show(USER, self.entries[i][0]), served[uids[i]],
                             "mailbox show %s is what IMAP/POP3 serve" % self.entries[i][0])
        cls._served = served
        cls._uid_by_seq = by_seq
        return served

    def test_a_server_serves_every_message_exactly(self):
        self.served()

    def workdir(self, name):
        d = tempfile.mkdtemp(prefix="ringpost-it-%s-" % name)
        if os.environ.get("RINGPOST_IT_KEEP"):
            self.addCleanup(print, "\n[retrieval] kept %s" % d)
        else:
            self.addCleanup(shutil.rmtree, d, True)
        os.makedirs(os.path.join(d, "home"))
        return d

    def run_client(self, argv, home, log_path):
        t0 = time.monotonic()
        env = dict(os.environ, HOME=home, LC_ALL="C.UTF-8")
        with open(log_path, "wb") as log:
            try:
                p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   env=env, timeout=CLIENT_TIMEOUT, cwd=home, start_new_session=True)
            except subprocess.TimeoutExpired:
                self.fail("%s did not finish within %ds\n%s" % (argv[0], CLIENT_TIMEOUT, self.tail(log_path)))
        return p.returncode, time.monotonic() - t0

    @staticmethod
    def tail(path, n=40):
        try:
            with open(path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "----- client log (last %d lines):\n%s" % (n, "\n".join(lines[-n:]))

    def assert_mailbox_untouched(self):
        entries = self.srv.mailbox_list(USER)
        self.assertEqual(len(entries), COUNT, "the client must leave all messages on the server")

    # ------------------------------------------------------------------
    def test_fetchmail_pop3(self):
        if not shutil.which("fetchmail"):
            harness.missing_dependency(self, "fetchmail not installed (tools/install-deps.sh installs it)")
        served = self.served()
        d = self.workdir("fetchmail")
        # fetchmail's BSMTP sink: every message appended to one file as the
        # SMTP transaction fetchmail would have sent (an MDA would fork a
        # shell per message: 1,000 forks were 90% of this test's time).
        bsmtp = os.path.join(d, "pulled.bsmtp")
        rc = os.path.join(d, "fetchmailrc")
        with open(rc, "w") as f:
            f.write("set no syslog\n"
                    "set no bouncemail\n"
                    "poll 127.0.0.1 with proto POP3 port %d and timeout 60 and no envelope\n"
                    "  user \"%s\" there with password \"%s\" is \"%s\" here\n"
                    "  keep fetchall no rewrite\n"
                    "  sslproto ''\n"           # plain text on loopback: no STLS attempt
                    "  bsmtp \"%s\"\n"
                    % (self.srv.pop3_port, USER, PASSWORD, getpass.getuser(), bsmtp))
        os.chmod(rc, 0o600)   # fetchmail refuses a readable rcfile with a password in it
        log = os.path.join(d, "fetchmail.log")
        code, took = self.run_client(
            ["fetchmail", "-f", rc, "--idfile", os.path.join(d, "fetchids"), "--pidfile", os.path.join(d, "pid"),
             "--nosyslog", "-v"], os.path.join(d, "home"), log)
        self.assertEqual(code, 0, "fetchmail exit code (0 = mail retrieved)\n%s" % self.tail(log))
        with open(bsmtp, "rb") as f:
            transactions = parse_bsmtp(f.read())
        got = {}
        for n, (sender, data) in enumerate(transactions, 1):
            name = "BSMTP transaction %d" % n
            # fetchmail transformation 1: the Return-Path header becomes the
            # transaction's MAIL FROM (fetchmail(1): "the envelope sender").
            data = b"Return-Path: <%s>\r\n" % sender + data
            # fetchmail transformation 2 (fetchmail(1), --invisible): "fetchmail
            # behaves like any other MTA would -- it generates a Received header
            # into each message". Exactly one such header, which names POP3 and
            # fetchmail, is removed wherever fetchmail put it in the header.
            data = self.remove_fetchmail_received(data, name)
            seq = seq_of(data)
            uid = self._uid_by_seq[seq]
            self.assertNotIn(uid, got, "fetchmail delivered message %04d twice (%s and %s)" % (seq, got.get(uid), name))
            got[uid] = name
            if data != served[uid]:
                self.fail("fetchmail's copy of message %04d (%s, uid %d) differs from what POP3 serves "
                          "beyond the two documented transformations: %d vs %d octets\n%s"
                          % (seq, name, uid, len(data), len(served[uid]), first_difference(data, served[uid])))
        self.assertEqual(len(transactions), COUNT, "one transaction per message\n%s" % self.tail(log))
        self.assertEqual(sorted(got), sorted(served), "all %d messages pulled, none twice" % COUNT)
        self.assert_mailbox_untouched()
        print("\n[retrieval] fetchmail pulled %d messages in %.1fs" % (len(transactions), took), flush=True)

    @staticmethod
    def remove_fetchmail_received(data, name):
        end = header_end(data)
        head, body = data[:end], data[end:]
        # header fields with their continuation lines
        fields = re.findall(rb"[^\r\n]+\r\n(?:[ \t][^\r\n]*\r\n)*", head)
        if b"".join(fields) != head:
            raise AssertionError("fetchmail file %s: header section does not parse: %r" % (name, head[:500]))
        ours = [i for i, fld in enumerate(fields)
                if fld.startswith(b"Received: ") and re.search(rb"\bwith POP3 \(fetchmail-[^)]*\)", fld)]
        if len(ours) != 1:
            raise AssertionError("fetchmail file %s: expected exactly one Received header by fetchmail, found %d:\n%r"
                                 % (name, len(ours), head[:800]))
        del fields[ours[0]]
        return b"".join(fields) + body

    # ------------------------------------------------------------------
    def test_mbsync_imap(self):
        if not shutil.which("mbsync"):
            harness.missing_dependency(self, "mbsync not installed (package isync; tools/install-deps.sh installs it)")
        served = self.served()
        d = self.workdir("mbsync")
        maildir = os.path.join(d, "mail")
        os.makedirs(maildir)
        cfg = os.path.join(d, "mbsyncrc")
        with open(cfg, "w") as f:
            f.write("FSync no\n\n"             # a throw-away Maildir: no fsync per message
                    "IMAPAccount ringpost\n"
                    "Host 127.0.0.1\nPort %d\nUser %s\nPass %s\n"
                    "SSLType None\n"              # no TLS yet: plain LOGIN on loopback
                    "AuthMechs LOGIN\n"
                    "Timeout 60\n\n"
                    "IMAPStore remote\nAccount ringpost\n\n"
                    "MaildirStore local\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
                    "Channel pull\nFar :remote:\nNear :local:\nPatterns INBOX\n"
                    "Sync Pull\nCreate Near\nExpunge None\nSyncState *\n"
                    % (self.srv.imap_port, USER, PASSWORD, maildir, maildir))
        os.chmod(cfg, 0o600)
        log = os.path.join(d, "mbsync.log")
        code, took = self.run_client(["mbsync", "-c", cfg, "-V", "pull"], os.path.join(d, "home"), log)
        self.assertEqual(code, 0, "mbsync exit code\n%s" % self.tail(log))
        got = {}
        for sub in ("new", "cur"):
            folder = os.path.join(maildir, "INBOX", sub)
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                m = re.search(r",U=(\d+)", name)
                self.assertIsNotNone(m, "maildir file name without the UID mbsync records: %s" % name)
                uid = int(m.group(1))
                self.assertNotIn(uid, got, "mbsync stored uid %d twice (%s and %s)" % (uid, got.get(uid), name))
                got[uid] = name
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
                # mbsync transformation 1: Maildir files have LF line ends; isync
                # converts IMAP's CRLF when it stores a message (sync.c, copy_msg_convert).
                data = lf_to_crlf(data, "maildir file %s" % name)
                # mbsync transformation 2: it inserts one "X-TUID: <12 chars>"
                # header into each message it propagates, to find it again after
                # an interrupted sync (same function). Removed here, exactly once.
                end = header_end(data)
                tuids = re.findall(rb"^X-TUID: [A-Za-z0-9+/]{12}\r\n", data[:end], re.M)
                self.assertEqual(len(tuids), 1, "maildir file %s: expected one X-TUID header: %r" % (name, data[:end]))
                data = data[:end].replace(tuids[0], b"", 1) + data[end:]
                if uid not in served:
                    self.fail("mbsync stored uid %d, which the server does not have" % uid)
                if data != served[uid]:
                    self.fail("mbsync's copy of uid %d (%s) differs from IMAP BODY[] beyond the two documented "
                              "transformations: %d vs %d octets\n%s"
                              % (uid, name, len(data), len(served[uid]), first_difference(data, served[uid])))
        self.assertEqual(len(got), COUNT, "one maildir file per message\n%s" % self.tail(log))
        self.assertEqual(sorted(got), sorted(served), "all %d messages pulled, none twice" % COUNT)
        self.assert_mailbox_untouched()
        flags = retrieval.imap_dump(self.srv.imap_port, USER, PASSWORD)
        self.assertEqual([u for u, (fl, _) in flags.items() if b"\\Seen" in fl], [],
                         "Sync Pull fetches with BODY.PEEK[]: no message may become \\Seen")
        print("\n[retrieval] mbsync pulled %d messages in %.1fs" % (len(got), took), flush=True)


def first_difference(a, b):
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    lo = max(0, n - 80)
    return "first difference at octet %d:\n  client: %r\n  server: %r" % (n, a[lo:n + 80], b[lo:n + 80])


if __name__ == "__main__":
    unittest.main()
