"""Raw POP3 and IMAP clients for the retrieval tests.

Python's poplib and imaplib hide what the server sent: poplib splits lines
and drops line ends, imaplib sorts untagged responses into a dict and loses
their order. The tests in test_retrieval_clients.py, test_imap_concurrency.py
and test_retrieval_fuzz.py need the exact bytes and the exact order, so these
clients keep both, with a transcript for error messages. Only the standard
library is used.
"""

import re
import socket
import time

LITERAL_AT_END = re.compile(rb"\{(\d+)\}\r\n$")
UIDL_RE = re.compile(rb"^(\d+)\.(\d+)$")


class ProtocolError(AssertionError):
    pass


class _Transcript:
    def __init__(self):
        self.log = []   # ("C"|"S", bytes)

    def note(self, who, data):
        self.log.append((who, data))
        if len(self.log) > 400:
            del self.log[:200]

    def transcript(self, limit=4000):
        out = []
        for who, data in self.log:
            t = data.decode("utf-8", "replace")
            if len(t) > 400:
                t = t[:200] + "...[%d bytes]..." % len(data) + t[-120:]
            for ln in t.split("\n"):
                if ln:
                    out.append("%s: %s" % (who, ln.rstrip("\r")))
        s = "\n".join(out)
        if len(s) > limit:
            s = "...\n" + s[-limit:]
        return "----- transcript:\n" + s


# --------------------------------------------------------------------------
# POP3

def pop3_unstuff(raw):
    """The data of a multi-line POP3 response (without the terminating
    ".\\r\\n") with the byte-stuffing removed (RFC 1939 3: a line that starts
    with "." lost its first "."). raw must end with CRLF or be empty."""
    if not raw:
        return b""
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"", "multi-line data does not end with CRLF"
    out = []
    for ln in lines[:-1]:
        if ln.startswith(b"."):
            ln = ln[1:]
        out.append(ln)
    return b"\r\n".join(out) + b"\r\n"


class RawPop3(_Transcript):
    """A POP3 session on a plain socket."""

    def __init__(self, port, timeout=15, greet=True, source=None):
        super().__init__()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb")
        self.greeting = self.status_line() if greet else None

    def send(self, data):
        self.note("C", data)
        self.sock.sendall(data)

    def line(self):
        ln = self.f.readline(1 << 20)
        if not ln:
            raise EOFError("connection closed by server")
        self.note("S", ln)
        if not ln.endswith(b"\r\n"):
            raise ProtocolError("POP3 line not ended by CRLF: %r\n%s" % (ln[:200], self.transcript()))
        return ln

    def status_line(self):
        ln = self.line()
        if not (ln.startswith(b"+OK") or ln.startswith(b"-ERR")):
            raise ProtocolError("POP3 status line is neither +OK nor -ERR: %r\n%s" % (ln, self.transcript()))
        return ln[:-2]

    def multiline(self):
        """Everything up to the terminating "." line, still byte-stuffed."""
        parts = []
        while True:
            ln = self.f.readline(1 << 20)
            if not ln:
                raise EOFError("connection closed inside a multi-line response")
            if ln == b".\r\n":
                break
            if not ln.endswith(b"\r\n"):
                raise ProtocolError("multi-line response line not ended by CRLF: %r" % ln[:200])
            parts.append(ln)
        data = b"".join(parts)
        self.note("S", data[:300] + (b"...[%d bytes]\r\n" % len(data) if len(data) > 300 else b"") + b".\r\n")
        return data

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.status_line()

    def ok(self, text):
        r = self.cmd(text)
        if not r.startswith(b"+OK"):
            raise ProtocolError("%s -> %r\n%s" % (text if not text.startswith("PASS") else "PASS ***",
                                                    r, self.transcript()))
        return r

    def login(self, user, password):
        self.ok("USER " + user)
        return self.ok("PASS " + password)

    def retr(self, n):
        """(status line, unstuffed message) or (status line, None) after -ERR."""
        r = self.cmd("RETR %d" % n)
        if not r.startswith(b"+OK"):
            return r, None
        return r, pop3_unstuff(self.multiline())

    def uidl_all(self):
        """[(msg number, uidl bytes)]."""
        self.ok("UIDL")
        out = []
        for ln in self.multiline().split(b"\r\n")[:-1]:
            n, u = ln.split(b" ", 1)
            out.append((int(n), u))
        return out

    def list_all(self):
        self.ok("LIST")
        return [(int(a), int(b)) for a, b in (ln.split(b" ") for ln in self.multiline().split(b"\r\n")[:-1])]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def pop3_dump(port, user, password, quit=False):
    """Every message of the maildrop over one POP3 session, as served:
    {imap uid: bytes}. Checks "+OK N octets" against the message size and
    LIST sizes against the data. Leaves the maildrop unchanged (no DELE)."""
    p = RawPop3(port)
    try:
        p.login(user, password)
        uidl = p.uidl_all()
        sizes = dict(p.list_all())
        out = {}
        for n, u in uidl:
            m = UIDL_RE.match(u)
            if not m:
                raise ProtocolError("UIDL %d is %r, README says <uidvalidity>.<uid>" % (n, u))
            status, data = p.retr(n)
            if data is None:
                raise ProtocolError("RETR %d -> %r\n%s" % (n, status, p.transcript()))
            if sizes.get(n) != len(data):
                raise ProtocolError("LIST says message %d has %s octets, RETR gave %d" % (n, sizes.get(n), len(data)))
            mm = re.match(rb"^\+OK (\d+) octets", status)
            if mm and int(mm.group(1)) != len(data):
                raise ProtocolError("RETR %d: %r but %d octets followed" % (n, status, len(data)))
            uid = int(m.group(2))
            if uid in out:
                raise ProtocolError("UIDL repeats uid %d" % uid)
            out[uid] = data
        if quit:
            p.ok("QUIT")
        return out
    finally:
        p.close()


# --------------------------------------------------------------------------
# IMAP

class Response:
    """One server response: its first line (without CRLF) and, when it carries
    literals, the whole text with the literal data in place."""

    def __init__(self, raw):
        self.raw = raw                       # bytes, literals included, final CRLF excluded
        self.first = raw.split(b"\r\n", 1)[0]

    @property
    def kind(self):
        if self.raw.startswith(b"* "):
            return "untagged"
        if self.raw.startswith(b"+"):
            return "continuation"
        return "tagged"

    def __repr__(self):
        r = self.raw if len(self.raw) < 300 else self.raw[:200] + b"...[%d bytes]" % len(self.raw)
        return "<%r>" % r


class RawImap(_Transcript):
    """An IMAP session on a plain socket: responses in the order they came."""

    def __init__(self, port, timeout=15, greet=True, source=None):
        super().__init__()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.n = 0
        self.greeting = self.read() if greet else None

    def send(self, data):
        self.note("C", data)
        self.sock.sendall(data)

    def _fill(self, deadline=None):
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("timed out")
            self.sock.settimeout(remaining)
        else:
            self.sock.settimeout(self.timeout)
        d = self.sock.recv(1 << 20)
        if not d:
            raise EOFError("connection closed by server")
        self.buf += d

    def _line(self, deadline):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                ln, self.buf = self.buf[:i + 2], self.buf[i + 2:]
                return ln
            if len(self.buf) > (1 << 22):
                raise ProtocolError("response line over 4 MiB without CRLF")
            self._fill(deadline)

    def read(self, timeout=None):
        """One response (a line plus the literals it announces). Raises
        socket.timeout when nothing complete arrives in time, EOFError at EOF."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        raw = None
        try:
            raw = self._line(deadline)
            while True:
                m = LITERAL_AT_END.search(raw)
                if not m:
                    break
                n = int(m.group(1))
                while len(self.buf) < n:
                    self._fill(deadline)
                raw += self.buf[:n]
                self.buf = self.buf[n:]
                raw += self._line(deadline)
        except socket.timeout:
            # Keep what arrived for the next call: put the partial response back.
            if raw is not None:
                self.buf = raw + self.buf
            raise
        self.note("S", raw)
        return Response(raw[:-2])

    def tag(self):
        self.n += 1
        return "A%04d" % self.n

    def command(self, text, literal=None, timeout=None):
        """Send `tag text` (literal: bytes sent as a LITERAL+ at the end).
        Returns (tagged Response, [untagged Responses in order])."""
        tag = self.tag()
        data = ("%s %s" % (tag, text)).encode("utf-8")
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        self.send(data + b"\r\n")
        return self.collect(tag, timeout)

    def collect(self, tag, timeout=None):
        untagged = []
        t = tag.encode() + b" "
        while True:
            r = self.read(timeout)
            if r.raw.startswith(t):
                return r, untagged
            if r.kind == "continuation":
                raise ProtocolError("unexpected continuation %r\n%s" % (r, self.transcript()))
            untagged.append(r)

    def ok(self, text, literal=None, timeout=None):
        tagged, untagged = self.command(text, literal, timeout)
        if not tagged.first.split(b" ", 2)[1:2] == [b"OK"]:
            raise ProtocolError("%s -> %r\n%s" % (text if not text.startswith("LOGIN") else "LOGIN ***",
                                                    tagged, self.transcript()))
        return tagged, untagged

    def login(self, user, password):
        return self.ok('LOGIN "%s" "%s"' % (user, password))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


FETCH_RE = re.compile(rb"^\* (\d+) FETCH \(", re.S)


def fetch_items(resp):
    """(sequence number, {ITEM: value}) of an untagged FETCH response; values
    are bytes: literals as their data, FLAGS as the text inside the parens."""
    m = FETCH_RE.match(resp.raw)
    if not m:
        return None, None
    seq = int(m.group(1))
    s = resp.raw
    pos = m.end()
    items = {}
    while pos < len(s) and s[pos:pos + 1] != b")":
        if s[pos:pos + 1] == b" ":
            pos += 1
            continue
        # item name: up to a space, but BODY[...] sections may contain spaces
        j = pos
        depth = 0
        while j < len(s):
            c = s[j:j + 1]
            if c == b"[":
                depth += 1
            elif c == b"]":
                depth -= 1
            elif c == b" " and depth == 0:
                break
            j += 1
        name = s[pos:j].upper()
        pos = j + 1
        c = s[pos:pos + 1]
        if c == b"{":
            e = s.index(b"}\r\n", pos)
            n = int(s[pos + 1:e])
            items[name] = s[e + 3:e + 3 + n]
            pos = e + 3 + n
        elif c == b"(":
            depth = 0
            j = pos
            in_q = False
            while True:
                ch = s[j:j + 1]
                if in_q:
                    if ch == b"\\":
                        j += 1
                    elif ch == b'"':
                        in_q = False
                elif ch == b'"':
                    in_q = True
                elif ch == b"(":
                    depth += 1
                elif ch == b")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            items[name] = s[pos + 1:j]
            pos = j + 1
        elif c == b'"':
            j = pos + 1
            while s[j:j + 1] != b'"':
                j += 2 if s[j:j + 1] == b"\\" else 1
            items[name] = s[pos + 1:j]
            pos = j + 1
        else:
            j = pos
            while j < len(s) and s[j:j + 1] not in (b" ", b")"):
                j += 1
            items[name] = s[pos:j]
            pos = j
    return seq, items


def flag_set(text):
    """FLAGS text -> frozenset of flags (\\Recent left out: it belongs to one session)."""
    return frozenset(f for f in text.split() if f.lower() != b"\\recent")


def imap_dump(port, user, password, mailbox="INBOX"):
    """{uid: (flags frozenset, body bytes)} of a mailbox, read with
    BODY.PEEK[] (no \\Seen set) over one session."""
    c = RawImap(port)
    try:
        c.login(user, password)
        c.ok("EXAMINE " + mailbox)
        _, untagged = c.ok("UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[])", timeout=60)
        out = {}
        for r in untagged:
            seq, items = fetch_items(r)
            if seq is None:
                continue
            uid = int(items[b"UID"])
            body = items[b"BODY[]"]
            if int(items[b"RFC822.SIZE"]) != len(body):
                raise ProtocolError("uid %d: RFC822.SIZE %s but BODY[] has %d octets"
                                    % (uid, items[b"RFC822.SIZE"], len(body)))
            if uid in out:
                raise ProtocolError("UID FETCH 1:* returned uid %d twice" % uid)
            out[uid] = (flag_set(items[b"FLAGS"]), body)
        return out
    finally:
        c.close()
