"""A bounded fuzz pass of malformed commands over raw sockets against POP3
and IMAP, before and after login (and, for IMAP, with a mailbox selected):
random bytes, overlong lines, unbalanced parentheses and quotes, bogus
literals ({999999999}, {5+}, ~{3}, sizes past 64 bits), NUL bytes, bad
sequence sets, huge numbers, deeply nested parentheses and search keys.

After every input a sync command follows (IMAP: a tagged NOOP; POP3: CAPA,
whose answer is known), so every reply can be attributed and checked:

  * IMAP: each response line is a continuation ("+"), untagged ("* ...")
    of a known kind, or tagged with a tag the client sent, then OK/NO/BAD;
    no NUL, CR or LF outside literals; the server hangs up only after BYE;
    every complete command is answered (no hang).
  * POP3: each status line is +OK / -ERR (or "+ " during AUTH), at most 512
    octets (RFC 2449), one reply per command line, so the CAPA after the
    input gets exactly the known CAPA answer; the server hangs up only
    after saying why (or on HTTP lines, which it must not answer); RETR of a
    message gives the message.

At the end the server must be running, its log free of crashes and
assertions, the mailbox unchanged (same UIDs, same bytes), and a fresh
session must log in and read a known message byte for byte.

Inputs are generated from a seed (printed; RINGPOST_FUZZ_SEED overrides it),
at most RINGPOST_FUZZ_INPUTS (default 3000) in all and within
RINGPOST_FUZZ_SECONDS (default 16 s) of sending time. Inputs that would
change the mailbox (EXPUNGE, CLOSE, DELE, COPY/MOVE/APPEND into an existing
mailbox, ...), switch to TLS (STARTTLS, STLS) or try a password (the login throttle would slow the run to a
crawl) are never sent.
"""

import base64
import os
import random
import re
import socket
import time

import retrieval
from harness import ServerTestCase, make_message
from retrieval import RawImap, RawPop3

USER = "fuzzed@localhost"
PASSWORD = "fuzz-secret-1"
SEED = int(os.environ.get("RINGPOST_FUZZ_SEED", "905019"))
MAX_INPUTS = int(os.environ.get("RINGPOST_FUZZ_INPUTS", "3000"))
SECONDS = float(os.environ.get("RINGPOST_FUZZ_SECONDS", "16"))
MESSAGES = 5
MAX_BAD_COMMANDS = 200     # server setting: fewer reconnections, and the limit is still reached now and then
REPLY_TIMEOUT = 3.0        # seconds for a reply that must come
SETUP_TIMEOUT = 15.0       # connect and log in (password hashing is slow under ASan on a busy machine)


def fuzz_timeouts(c):
    """After the setup: a fuzzed command's reply must come within REPLY_TIMEOUT."""
    c.timeout = REPLY_TIMEOUT
    c.sock.settimeout(REPLY_TIMEOUT)
    return c
STALL_PROBE = 0.4          # seconds of silence before an IMAP sync is sent again
STALL_WINDOW = 0.15        # seconds to listen after an input the server rightly waits on
MAX_LITERAL = 64 * 1024 * 1024   # src/imap/command_reader.hpp ReaderLimits::max_literal
MAX_ANOMALIES_SHOWN = 25

CRASH_RE = re.compile(r"Assertion|assert(ion)? failed|terminate called|Segmentation|AddressSanitizer|"
                      r"LeakSanitizer|runtime error:|stack-overflow|Aborted|core dumped|level=fatal|panic",
                      re.I)

# --------------------------------------------------------------------------
# IMAP inputs

IMAP_COMMANDS = [
    b"NOOP", b"CAPABILITY", b"ID NIL", b'ID ("name" "fuzz" "version" "1")', b"ENABLE IMAP4rev1",
    b"NAMESPACE", b'LIST "" "*"', b'LIST "" %', b'LIST (SPECIAL-USE) "" *', b'LSUB "" *',
    b"STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)", b"SELECT INBOX", b"EXAMINE INBOX",
    b"EXAMINE Trash", b"FETCH 1:* (FLAGS)", b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])",
    b"FETCH 1 (BODY.PEEK[1]<0.10>)", b"FETCH 2 (ENVELOPE BODYSTRUCTURE)", b"FETCH 1:2 FULL",
    b"UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE)", b"FETCH 1 BODY.PEEK[TEXT]", b"FETCH 3 BODY[1.MIME]",
    b"FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (DATE)])", b"FETCH * RFC822.HEADER", b"SEARCH ALL",
    b"SEARCH OR FROM a (SUBJECT b) NOT SEEN", b"SEARCH SINCE 1-Jan-2020 LARGER 10 UNDELETED",
    b"UID SEARCH UID 1:*", b"SEARCH CHARSET UTF-8 TEXT {3+}\r\nabc", b"SEARCH HEADER X-Fuzz \"\"",
    b"STORE 1 +FLAGS (\\Flagged)", b"STORE 1 -FLAGS.SILENT (\\Flagged)", b"UID STORE 1:* FLAGS ()",
    b"CHECK", b"UNSELECT", b"STARTTLS", b"COPY 1 NoSuchBox", b"MOVE 1 NoSuchBox", b"UID COPY 1 NoSuchBox",
    b"APPEND NoSuchBox {5+}\r\nhello", b'APPEND NoSuchBox (\\Seen) "24-Nov-2025 10:00:00 +0000" {5+}\r\nhello',
    b"GETQUOTAROOT INBOX", b"XYZZY", b"IDLE", b"LOGIN a b", b"AUTHENTICATE PLAIN",
]

IMAP_TOKENS = [
    b"{999999999}", b"{999999999+}", b"{5+}\r\nab", b"{0}\r\n", b"{0+}\r\n", b"{3}\r\nabc",
    b"{18446744073709551616}", b"{99999999999999999999999}", b"{-1}", b"{}", b"{1a}", b"~{3}\r\nabc",
    b"{4294967296+}", b"NIL", b'"', b"(", b")", b"((((((((((", b"))))))))))", b"\\", b'"\\', b"\x00",
    b"\x00\x00\x00", b"*", b"%", b"[", b"]", b"<0.4294967296>", b"<", b">", b"BODY[", b"BODY[]<",
    b"BODY[1.2.3.4.5.6.7.8.9.10.11]", b"BODY[HEADER.FIELDS ()]", b"99999999999999999999", b"4294967295",
    b"4294967296", b"0", b"-1", b"1:*", b"*:1", b"0:0", b"1,,2", b":", b",", b"$", b"\r", b"\n", b"\t",
    b"\xff\xfe", b"\xc3\x28", b"&Jjo", b"&-", b"&AAA", b"~", b"\\Seen", b"\\Bogus", b"\\*", b"UID",
    b"1:4294967295", b"*:*", b"18446744073709551615:18446744073709551616", b"NOT", b"OR", b"CHARSET",
]

SEQUENCE_SETS = [
    b"0", b"0:*", b"*:0", b"1:", b":1", b"1,,2", b",", b"4294967295", b"4294967296", b"18446744073709551616",
    b"1:4294967295", b"$", b"1.5", b"-1", b"*:*", b"1:2:3", b"1,*,1:*,*:1", b"99999999999999999999999999",
    b"1:0", b"2147483648", b"1 2", b"(1)", b"\"1\"", b"{1+}\r\n1",
]

# STARTTLS switches the connection to TLS: a legitimate protocol change, not
# something a plain-text fuzz pass can follow (test_retrieval_tls covers it).
SAFE_VERBS_RE = re.compile(rb"EXPUNGE|CLOSE|DELETE|RENAME|CREATE|SUBSCRIBE|STARTTLS", re.I)
TARGETS_RE = re.compile(rb"COPY|MOVE|APPEND", re.I)
EXISTING_RE = re.compile(rb"INBOX|SENT|DRAFTS|TRASH|JUNK", re.I)
AUTH_RE = re.compile(rb"LOGIN|AUTHENTICATE", re.I)
B64_TOKEN = re.compile(rb"[A-Za-z0-9+/=]{4,}")

# Login-like inputs that must be refused before any password check (so no
# login-failure delay): missing, extra or malformed arguments, unknown
# mechanisms, bad or NUL-less base64, cancellation.
IMAP_AUTH_INPUTS = [
    b"L1 LOGIN\r\n", b'L2 LOGIN "unterminated\r\n', b"L3 LOGIN onlyuser\r\n", b"L4 LOGIN a b c\r\n",
    b"L5 LOGIN (a) (b)\r\n", b"L6 LOGIN {999999999}\r\n", b"L7 AUTHENTICATE\r\n", b"L8 AUTHENTICATE FOO\r\n",
    b"L9 AUTHENTICATE PLAIN !!!notbase64\r\n",
    b"L10 AUTHENTICATE PLAIN " + base64.b64encode(b"no nul at all") + b"\r\n",
    b"L11 AUTHENTICATE PLAIN\r\n*\r\n", b"L12 AUTHENTICATE PLAIN\r\n", b"L13 LOGIN a\x00 b\r\n",
    b"L14 AUTHENTICATE PLAIN " + base64.b64encode(b"one\x00nul") + b"\r\n",
    b"L15 AUTHENTICATE PLAIN\r\n" + b"A" * 5000 + b"\r\n", b"L16 LOGIN \"a\" NIL\r\n",
]


def b64_has_two_nuls(data):
    """A base64 token that decodes to a PLAIN response (two NULs): would check a password."""
    for tok in B64_TOKEN.findall(data):
        try:
            dec = base64.b64decode(tok + b"=" * (-len(tok) % 4), validate=False)
        except Exception:
            continue
        if dec.count(b"\x00") >= 2:
            return True
    return False


class ImapGen:
    def __init__(self, rng, phase):
        self.rng = rng
        self.phase = phase    # "imap-prelogin", "imap-auth", "imap-selected"
        self.n = 0

    def tag(self):
        self.n += 1
        return b"F%d" % self.n

    def mutate(self, line):
        r = self.rng
        for _ in range(r.choice((1, 1, 1, 2, 3, 6))):
            op = r.randrange(7)
            pos = r.randrange(len(line) + 1)
            if op == 0 and line:
                i = r.randrange(len(line))
                line = line[:i] + bytes([r.randrange(256)]) + line[i + 1:]
            elif op == 1:
                line = line[:pos] + r.choice(IMAP_TOKENS) + line[pos:]
            elif op == 2 and line:
                j = r.randrange(pos, len(line) + 1)
                line = line[:pos] + line[j:]
            elif op == 3 and line:
                j = min(len(line), pos + r.randrange(1, 8))
                line = line[:pos] + line[pos:j] * r.randrange(2, 300) + line[j:]
            elif op == 4:
                line = line[:pos]
            elif op == 5:
                line = line[:pos] + b" " + r.choice(IMAP_TOKENS) + b" " + line[pos:]
            else:
                line = line.swapcase() if r.random() < 0.5 else line.lower()
        return line

    def one(self):
        r = self.rng
        t = self.tag()
        k = r.randrange(100)
        if k < 30:
            return self.mutate(t + b" " + r.choice(IMAP_COMMANDS)) + b"\r\n"
        if k < 38:
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 300))) + b"\r\n"
        if k < 43:
            return t + b" " + bytes(r.randrange(32, 127) for _ in range(r.randrange(1, 200))) + b"\r\n"
        if k < 48:
            n = r.choice((1000, 8191, 65535, 65536, 70000, 300000))
            return t + b" " + r.choice((b"NOOP ", b"SELECT ", b"FETCH 1 ", b"SEARCH TEXT ")) + b"A" * n + b"\r\n"
        if k < 55:
            d = r.choice((10, 100, 1000, 5000, 20000))
            close = d if r.random() < 0.5 else r.randrange(0, d)
            return r.choice((
                t + b" FETCH 1 " + b"(" * d + b"FLAGS" + b")" * close,
                t + b" SEARCH " + b"(" * d + b"ALL" + b")" * close,
                t + b" SEARCH " + b"NOT " * d + b"ALL",
                t + b" SEARCH " + b"OR " * d + b"ALL " * (d + 1),
                t + b" ID " + b"(" * d + b'"a" "b"' + b")" * close,
                t + b" STATUS INBOX " + b"(" * d + b"MESSAGES" + b")" * close,
            )) + b"\r\n"
        if k < 63:
            s = r.choice(SEQUENCE_SETS)
            if r.random() < 0.2:
                s = b",".join(b"%d" % i for i in range(1, r.choice((100, 10001, 30000))))
            if r.random() < 0.1:
                s = b"1:*," * r.choice((1000, 20000)) + b"1"
            cmd = r.choice((b"FETCH %s (FLAGS)", b"UID FETCH %s UID", b"SEARCH %s", b"SEARCH UID %s",
                            b"STORE %s +FLAGS (\\Seen)", b"UID STORE %s -FLAGS.SILENT (\\Seen)",
                            b"COPY %s NoSuchBox", b"FETCH 1 BODY.PEEK[%s]", b"FETCH 1 BODY.PEEK[]<%s>",
                            b"FETCH 1 (BODY.PEEK[]<0.%s>)", b"SEARCH LARGER %s", b"SEARCH SMALLER %s"))
            return t + b" " + cmd.replace(b"%s", s) + b"\r\n"
        if k < 72:
            lit = r.choice((b"{999999999}", b"{999999999+}", b"{18446744073709551616}", b"{5+}", b"{5}",
                            b"{0}", b"{-1}", b"{1a}", b"~{3}", b"{70000+}", b"{%d}" % (MAX_LITERAL + 1),
                            b"{%d+}" % (MAX_LITERAL + 1), b"{50000000}", b"{20}"))
            cmd = r.choice((b"SELECT ", b"EXAMINE ", b"STATUS ", b"LIST \"\" ", b"SEARCH TEXT ",
                            b"APPEND NoSuchBox ", b"FETCH 1 BODY[HEADER.FIELDS (", b"ID ("))
            data = r.choice((b"hello", b"", b"ab", b"\x00\x00\x00", b"x" * 100, b"hello)\r\n"))
            return t + b" " + cmd + lit + b"\r\n" + data + r.choice((b"\r\n", b"", b" NIL\r\n", b")\r\n"))
        if k < 78:
            return r.choice((
                t + b" NOOP\x00\r\n", b"\x00" * r.randrange(1, 50) + b"\r\n", t + b' SELECT "IN\x00BOX"\r\n',
                t + b" SEARCH TEXT {3+}\r\na\x00b\r\n", t + b"\x00 NOOP\r\n", b"\x00 NOOP\r\n",
                t + b" FETCH 1 (FLAGS\x00)\r\n", t + b" NO\x00OP\r\n"))
        if k < 85:
            return r.choice((
                b"* NOOP\r\n", b"+ NOOP\r\n", b"( NOOP\r\n", b"\xff NOOP\r\n", b"a" * r.choice((100, 1000, 70000)) +
                b" NOOP\r\n", b" NOOP\r\n", b"NOOP\r\n", b"\r\n", b"   \r\n", t + b"\r\n", t + b" \r\n",
                b"{5} NOOP\r\n", b"a{5}\r\n", b'"tag" NOOP\r\n', b"tag] NOOP\r\n", b"%% NOOP\r\n",
                t + b" NOOP\n", t + b" NOOP\r", t + b" NOOP\r\r\n", t + b" NOOP\n\r\n", b"\n\n\n"))
        if k < 90:
            return r.choice((
                t + b' SEARCH SINCE 32-Foo-2020\r\n', t + b' SEARCH BEFORE "1-Jan-99999999999"\r\n',
                t + b' APPEND NoSuchBox (\\Seen) "32-Foo-2020 25:61:61 +9999" {5+}\r\nhello\r\n',
                t + b' APPEND NoSuchBox ((\\Seen) {5+}\r\nhello\r\n', t + b' APPEND NoSuchBox "" {5+}\r\nhello\r\n',
                t + b' APPEND NoSuchBox (\\Seen) {5+}\r\nhello {5+}\r\nworld\r\n',
                t + b' STORE 1 FLAGS (\\Seen (\\Flagged))\r\n', t + b' STORE 1 +FLAGS ("\\Seen")\r\n',
                t + b' STORE 1 BOGUS (\\Seen)\r\n', t + b' FETCH 1 (BODY.PEEK[1.2.3.MIME]<99999999999.1>)\r\n',
                t + b' FETCH 1 BODY[HEADER.FIELDS (' + b"X " * 5000 + b')]\r\n',
                t + b' LIST "" "' + b"%*" * 2000 + b'"\r\n', t + b' LIST "" ' + b"a/" * 3000 + b"*\r\n",
                t + b' SELECT "' + b"\\" * 3000 + b'"\r\n', t + b' SELECT ' + b"&" * 500 + b"\r\n",
                t + b' ENABLE ' + b"X " * 3000 + b"\r\n", t + b' ID (' + b'"k" "v" ' * 2000 + b")\r\n"))
        if k < 96:
            return b"".join(self.mutate(self.tag() + b" " + r.choice(IMAP_COMMANDS)) + b"\r\n"
                            for _ in range(r.randrange(2, 6)))
        return t + b" " + r.choice(IMAP_COMMANDS) + b"\r\n"

    def next(self):
        for _ in range(1000):
            inp = self.one()
            if SAFE_VERBS_RE.search(inp):
                continue
            if TARGETS_RE.search(inp) and EXISTING_RE.search(inp):
                continue
            if self.phase == "imap-prelogin" and (AUTH_RE.search(inp) or b64_has_two_nuls(inp)):
                if self.rng.random() < 0.03:
                    return self.rng.choice(IMAP_AUTH_INPUTS)
                continue
            return inp
        raise AssertionError("generator found no safe input")


# --------------------------------------------------------------------------
# IMAP reply checks

UNTAGGED_OK = re.compile(rb"^\* (?:(?:OK|NO|BAD|BYE|PREAUTH)(?: |$)|(?:CAPABILITY|LIST|LSUB|STATUS|SEARCH|FLAGS|"
                         rb"ENABLED|ID|NAMESPACE)(?: |$)|\d+ (?:EXISTS|RECENT|EXPUNGE|FETCH)(?: |$))")
CONT_OK = re.compile(rb"^\+(?: .*)?$", re.S)
TAGGED = re.compile(rb"^([^ ]+) (OK|NO|BAD)(?: |$)")
TAG_CHARS = re.compile(rb"^[\x21-\x7e]+$")
TAG_BAD_CHARS = set(b'(){ %*"\\+')
LINE_LITERAL = re.compile(rb"\{(\d+)\}$")


def imap_segments(raw):
    """The parts of a response outside its literals (each line without CRLF)."""
    segs = []
    pos = 0
    while True:
        i = raw.find(b"\r\n", pos)
        if i < 0:
            segs.append(raw[pos:])
            return segs
        line = raw[pos:i]
        segs.append(line)
        m = LINE_LITERAL.search(line)
        if not m:
            # a CRLF inside a response line that announces no literal
            segs.append(b"\r\n<unannounced line break>")
            pos = i + 2
            continue
        pos = i + 2 + int(m.group(1))


def check_imap_response(resp, sent_tags, lines=()):
    """None, or what is wrong with this response. lines: the input's lines."""
    raw = resp.raw
    for seg in imap_segments(raw):
        if seg == b"\r\n<unannounced line break>":
            return "CRLF inside a response that announces no literal"
        if b"\x00" in seg:
            return "NUL outside a literal"
        if b"\r" in seg or b"\n" in seg:
            return "bare CR or LF outside a literal"
        if any(c > 0x7f for c in seg):
            return "8-bit octets outside a literal (RFC 3501 TEXT-CHAR / ATOM-CHAR are 7-bit)"
    first = resp.first
    if first.startswith(b"* "):
        return None if UNTAGGED_OK.match(first) else "untagged response of unknown kind"
    if first.startswith(b"+"):
        return None if CONT_OK.match(first) else "malformed continuation"
    m = TAGGED.match(first)
    if not m:
        return "neither tagged, untagged nor continuation"
    tag = m.group(1)
    shown = tag if len(tag) <= 40 else tag[:20] + b"...(%d octets)" % len(tag)
    if not TAG_CHARS.match(tag) or any(c in TAG_BAD_CHARS for c in tag):
        return "tag %r is not a valid IMAP tag (RFC 3501 9: tag = 1*<any ASTRING-CHAR except \"+\">)" % shown
    # A reply may only carry a tag the client sent as one; a line whose tag
    # cannot be read whole gets "* BAD" (two bugs this caught were fixed:
    # " NOOP" answered "NOOP BAD ...", and the tag of a line over 64 KiB cut
    # short and echoed).
    if tag not in sent_tags:
        if any(ln[:1] in (b" ", b"\t") and ln.split()[:1] == [tag] for ln in lines):
            return ("tagged reply to a line that starts with a blank: the first word after the blank was taken "
                    "as the tag (expected '* BAD')")
        if any(t.startswith(tag) for t in sent_tags):
            return "the tag of an overlong line was cut short and echoed (expected '* BAD')"
        return "tag %r was never sent by the client" % shown
    return None


def simulate_literals(inp):
    """What the server's command reader does with `inp` (src/imap/command_reader.hpp):
    returns (bytes to send so that every literal is complete, stall) where
    stall is True when the server legitimately waits for (or skips) more
    literal data than we will send."""
    pos = 0
    out = inp
    while pos < len(inp):
        nl = inp.find(b"\n", pos)
        if nl < 0:
            break
        line = inp[pos:nl].rstrip(b"\r")
        pos = nl + 1
        m = re.search(rb"(~?)\{(\d+)(\+?)\}$", line)
        if not m or len(line) > 64 * 1024:
            continue
        n = int(m.group(2))
        plus = m.group(3) == b"+"
        if m.group(1):          # literal8: refused, nothing follows
            continue
        if n > MAX_LITERAL:
            if plus:
                return out, True   # BAD, then the reader skips n bytes: everything we send
            continue               # refused without a continuation
        have = len(inp) - pos
        if have < n:
            deficit = n - have
            if deficit > 65536:
                return out, True   # the server rightly waits for the data
            return inp + b"x" * deficit + b"\r\n", False
        pos += n
        if pos == len(inp):
            # The command goes on after a literal: end it, or the sync NOOP
            # would become the rest of this command.
            return inp + b"\r\n", False
    return out, False


# --------------------------------------------------------------------------
# POP3 inputs

POP3_PRE = [b"CAPA", b"USER fuzz@localhost", b"USER", b"PASS", b"PASS x", b"APOP a b", b"AUTH", b"AUTH PLAIN",
            b"AUTH PLAIN =", b"AUTH PLAIN !!!", b"AUTH LOGIN", b"AUTH PLAIN " + base64.b64encode(b"no nuls"),
            b"STLS", b"NOOP", b"STAT", b"LIST", b"RETR 1", b"TOP 1 1", b"UIDL", b"RSET", b"XTND", b"QUIT"]
POP3_POST = [b"STAT", b"LIST", b"LIST 1", b"LIST 0", b"LIST 4294967296", b"UIDL", b"UIDL 2", b"RETR 1",
             b"RETR 3", b"TOP 1 0", b"TOP 2 3", b"TOP 1 99999999999", b"NOOP", b"RSET", b"CAPA", b"USER x",
             b"PASS x", b"AUTH PLAIN", b"STLS", b"RETR 99999999999999999999", b"RETR -1", b"RETR 1 2", b"LIST  1",
             b"list\t1", b"TOP 1", b"TOP -1 -1", b"UIDL 0", b"APOP x y", b"QUIT"]
POP3_TOKENS = [b"\x00", b"\r", b"\n", b"\t", b" ", b"0", b"-1", b"4294967296", b"18446744073709551615",
               b"18446744073709551616", b"99999999999999999999", b"\xff", b"\xc3\x28", b".", b"..", b"*", b"=",
               b":", b"HTTP/1.1", b"+OK", b"-ERR"]


class Pop3Gen:
    def __init__(self, rng, phase):
        self.rng = rng
        self.phase = phase    # "pop3-prelogin", "pop3-transaction"

    def mutate(self, line):
        r = self.rng
        for _ in range(r.choice((1, 1, 2, 4))):
            op = r.randrange(6)
            pos = r.randrange(len(line) + 1)
            if op == 0 and line:
                i = r.randrange(len(line))
                line = line[:i] + bytes([r.randrange(256)]) + line[i + 1:]
            elif op == 1:
                line = line[:pos] + r.choice(POP3_TOKENS) + line[pos:]
            elif op == 2 and line:
                line = line[:pos] + line[r.randrange(pos, len(line) + 1):]
            elif op == 3:
                line = line[:pos] + b" " + r.choice(POP3_TOKENS) + line[pos:]
            elif op == 4 and line:
                j = min(len(line), pos + r.randrange(1, 6))
                line = line[:pos] + line[pos:j] * r.randrange(2, 200) + line[j:]
            else:
                line = line.lower()
        return line

    def one(self):
        r = self.rng
        base = POP3_PRE if self.phase == "pop3-prelogin" else POP3_POST
        k = r.randrange(100)
        if k < 35:
            return self.mutate(r.choice(base)) + b"\r\n"
        if k < 45:
            return bytes(r.randrange(256) for _ in range(r.randrange(1, 200))) + b"\r\n"
        if k < 55:
            n = r.choice((511, 512, 513, 2047, 2048, 2049, 8192, 70000))
            return r.choice((b"NOOP ", b"USER ", b"RETR ", b"AUTH PLAIN ", b"")) + b"A" * n + b"\r\n"
        if k < 65:
            return r.choice((b"RETR ", b"LIST ", b"UIDL ", b"TOP ", b"TOP 1 ")) + r.choice(POP3_TOKENS[4:]) + \
                r.choice((b"", b" 1", b" 0", b" 99999999999999999999", b" x")) + b"\r\n"
        if k < 72:
            return r.choice((b"NOOP\x00\r\n", b"\x00\r\n", b"STAT\x00 1\r\n", b"US\x00ER x\r\n",
                             b"\x00" * 100 + b"\r\n", b"CAPA\r", b"CAPA\n", b"CAPA\r\r\n", b"\r\n", b"   \r\n",
                             b"\t\r\n", b"\n\n\n"))
        if k < 77:
            return r.choice((b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"Host: example.test\r\n",
                             b"POST /x HTTP/1.0\r\n", b"get / HTTP/1.1\r\n", b"GET /\r\n", b"X-Header: v\r\n",
                             b"CONNECT mail:110 HTTP/1.1\r\n"))
        if k < 82:
            return r.choice((b"AUTH PLAIN\r\n*\r\n", b"AUTH PLAIN\r\n!!!\r\n", b"AUTH PLAIN\r\n=\r\n",
                             b"AUTH PLAIN\r\n" + base64.b64encode(b"a\x00b") + b"\r\n", b"AUTH PLAIN\r\n" +
                             b"QUFB" * 600 + b"\r\n", b"AUTH PLAIN " + b"QUFB" * 600 + b"\r\n", b"AUTH X\r\n"))
        if k < 92:
            return b"".join(self.mutate(r.choice(base)) + b"\r\n" for _ in range(r.randrange(2, 6)))
        return r.choice(base) + b"\r\n"

    def next(self):
        for _ in range(1000):
            inp = self.one()
            if re.search(rb"DELE|STLS", inp, re.I):
                continue
            if b64_has_two_nuls(inp):
                continue
            lines = [ln.rstrip(b"\r") for ln in inp.split(b"\n")]
            # A PASS right after a USER (in one input) would check a password.
            if any(a.upper().startswith(b"USER") and b.upper().startswith(b"PASS") for a, b in zip(lines, lines[1:])):
                continue
            return inp
        raise AssertionError("generator found no safe input")


def pop3_name_arg(line):
    m = re.match(rb"^([^ \t]*)[ \t]?(.*)$", line, re.S)
    return m.group(1), m.group(2).strip(b" \t")


def pop3_forbidden(line):
    """src/pop3/command.cpp: a first word ending in ':' (a header line) or an
    HTTP method with "HTTP/" after it: the server hangs up without a reply."""
    if not line.strip(b" \t"):
        return False
    name, arg = pop3_name_arg(line)
    return name.endswith(b":") or (name in (b"GET", b"POST", b"PUT", b"HEAD", b"CONNECT", b"OPTIONS", b"DELETE")
                                   and b"HTTP/" in arg)


def pop3_multiline(line):
    """Does +OK to this command line start a multi-line reply? (AUTH without an
    argument lists the SASL mechanisms, a common extension ringpost has.)"""
    name, arg = pop3_name_arg(line)
    name = name.upper()
    return name in (b"CAPA", b"RETR", b"TOP") or (name in (b"LIST", b"UIDL", b"AUTH") and arg == b"")


STATUS_OK = re.compile(rb"^(\+OK|-ERR)(?: [\x20-\x7e\t]*)?\r\n$")
SASL_CONT = re.compile(rb"^\+ [A-Za-z0-9+/=]*\r\n$")


# --------------------------------------------------------------------------

class Fuzz:
    """Runs inputs of one phase, collecting anomalies."""

    def __init__(self, tc, phase, rng, budget, deadline):
        self.tc = tc
        self.srv = tc.srv
        self.phase = phase
        self.rng = rng
        self.budget = budget
        self.deadline = deadline
        self.anomalies = tc.anomalies
        self.sent = 0
        self.connections = 0
        self.conn = None

    def anomaly(self, inp, problem, detail=b""):
        self.anomalies.append((self.phase, self.sent, inp, problem, detail))

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class ImapFuzz(Fuzz):

    def connect(self):
        self.close()
        self.connections += 1
        c = RawImap(self.srv.imap_port, timeout=SETUP_TIMEOUT)
        if self.phase != "imap-prelogin":
            c.login(USER, PASSWORD)
            if self.phase == "imap-selected":
                c.ok("SELECT INBOX")
        self.conn = fuzz_timeouts(c)
        self.z = 0
        self.bads = 0          # BAD replies on this connection (the server hangs up at max_bad_commands)

    def run(self):
        gen = ImapGen(self.rng, self.phase)
        while self.sent < self.budget and time.monotonic() < self.deadline:
            inp = gen.next()
            if self.conn is None:
                self.connect()
            self.sent += 1
            try:
                self.one(inp)
            except (EOFError, ConnectionError) as e:
                # A reset (our unread input was still queued when the server
                # closed) may swallow the BYE: fine after LOGOUT or near the
                # bad-command limit, a finding otherwise.
                if not (isinstance(e, ConnectionError) and
                        (re.search(rb"LOGOUT", inp, re.I) or self.bads >= MAX_BAD_COMMANDS - 20)):
                    self.anomaly(inp, "connection lost without BYE: %r" % e, self.conn.transcript(1500).encode())
                self.close()
        self.close()

    def sync(self):
        self.z += 1
        tag = b"Z%d" % self.z
        self.conn.send(b"\r\n" + tag + b" NOOP\r\n" if not self.last_ended_line else tag + b" NOOP\r\n")
        self.last_ended_line = True
        self.sync_tags.add(tag)
        return tag

    def one(self, inp):
        c = self.conn
        data, stall = simulate_literals(inp)
        sent_tags = {ln.split(b" ", 1)[0].rstrip(b"\r") for ln in data.split(b"\n")}
        self.sync_tags = set()
        c.send(data)
        self.last_ended_line = data.endswith(b"\n")
        if stall:
            # The server waits for (or skips) literal data we do not send: read
            # what it says (a "+" or a BAD, or nothing for a LITERAL+), check
            # it, and start a new connection.
            end = time.monotonic() + STALL_WINDOW
            while time.monotonic() < end:
                try:
                    r = c.read(timeout=max(0.01, end - time.monotonic()))
                except (OSError, EOFError):
                    break
                self.check(r, inp, sent_tags)
                if r.kind != "untagged":
                    end = min(end, time.monotonic() + 0.02)
            self.close()
            return
        want = self.sync()
        probes = 0
        saw_bye = False
        while True:
            try:
                r = c.read(timeout=STALL_PROBE)
            except socket.timeout:
                probes += 1
                if probes > int(REPLY_TIMEOUT / STALL_PROBE):
                    self.anomaly(inp, "no answer to a complete command within %.0fs (sync NOOP sent %d times)"
                                 % (REPLY_TIMEOUT, probes), c.transcript(1500).encode())
                    self.close()
                    return
                want = self.sync()
                continue
            except EOFError:
                if not saw_bye:
                    self.anomaly(inp, "server closed the connection without * BYE", c.transcript(1500).encode())
                self.close()
                return
            self.check(r, inp, sent_tags | self.sync_tags)
            if r.first.startswith(b"* BYE"):
                saw_bye = True
            if r.kind == "continuation":
                # A literal or an AUTHENTICATE/IDLE line is awaited: the sync
                # line sent already may be eaten by it; send another.
                want = self.sync()
                continue
            if r.first.startswith(want + b" "):
                return

    def check(self, r, inp, tags):
        if re.match(rb"^[^ ]+ BAD", r.first):
            self.bads += 1
        problem = check_imap_response(r, tags, [ln.rstrip(b"\r") for ln in inp.split(b"\n")])
        if problem:
            self.anomaly(inp, problem, r.raw[:300])


class Pop3Fuzz(Fuzz):

    def connect(self):
        self.close()
        self.connections += 1
        deadline = time.monotonic() + 3
        while True:
            c = RawPop3(self.srv.pop3_port, timeout=SETUP_TIMEOUT)
            if self.phase == "pop3-prelogin":
                break
            c.ok("USER " + USER)
            r = c.cmd("PASS " + PASSWORD)
            if r.startswith(b"+OK"):
                break
            c.close()
            if not r.startswith(b"-ERR [IN-USE]") or time.monotonic() > deadline:
                raise AssertionError("POP3 login for the fuzz session: %r (the maildrop lock of a closed "
                                     "session should be released at once)" % r)
            time.sleep(0.05)
        self.conn = fuzz_timeouts(c)
        self.errs = 0          # -ERR replies on this connection (the server hangs up at max_bad_commands)

    def capa_reference(self):
        self.connect()
        self.conn.ok("CAPA")
        ref = self.conn.multiline()
        self.close()
        return ref

    def run(self, known):
        self.known = known
        self.capa = self.capa_reference()
        gen = Pop3Gen(self.rng, self.phase)
        while self.sent < self.budget and time.monotonic() < self.deadline:
            inp = gen.next()
            if self.conn is None:
                self.connect()
            self.sent += 1
            try:
                self.one(inp)
            except socket.timeout:
                self.anomaly(inp, "no reply within %.0fs" % REPLY_TIMEOUT, self.conn.transcript(1500).encode())
                self.close()
            except (EOFError, ConnectionError) as e:
                self.anomaly(inp, "connection lost inside a reply: %r" % e, self.conn.transcript(1500).encode())
                self.close()
        self.close()

    def one(self, inp):
        c = self.conn
        data = inp if inp.endswith(b"\n") else inp + b"\r\n"
        lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in data.split(b"\n")[:-1]]
        queue = lines + [b"CAPA"]
        try:
            c.send(data + b"CAPA\r\n")
        except ConnectionError:
            pass     # the server hung up while we sent: read the replies it sent before
        i = 0
        auth_next = False      # the line queue[i] is an AUTH response, not a command
        last = None
        too_many = False
        while True:
            try:
                raw = c.f.readline(1 << 20)
            except ConnectionResetError:
                # The server closed with our input unread, so the kernel reset
                # the connection and replies in flight may be lost: only a
                # reason somewhere in the input can excuse it.
                plausible = (too_many or self.errs >= MAX_BAD_COMMANDS - 20 or
                             any(pop3_forbidden(ln) or pop3_name_arg(ln)[0].upper() in
                                 (b"QUIT", b"AUTH", b"PASS", b"USER", b"APOP") for ln in queue))
                if not plausible:
                    self.anomaly(inp, "connection reset by the server without a reason",
                                 c.transcript(1500).encode())
                self.close()
                return
            if not raw:
                reason_ok = (too_many or any(pop3_forbidden(ln) for ln in queue[:i + 1])
                             or (last is not None and last[1].startswith(b"+OK") and
                                 pop3_name_arg(last[0])[0].upper() == b"QUIT")
                             or (last is not None and last[1].startswith(b"-ERR") and last[2]))
                if not reason_ok:
                    self.anomaly(inp, "server closed the connection without saying why", c.transcript(1500).encode())
                self.close()
                return
            c.note("S", raw)
            if i >= len(queue):
                self.anomaly(inp, "more replies than command lines", raw[:300])
                self.close()
                return
            line = queue[i]
            if SASL_CONT.match(raw) and not auth_next and pop3_name_arg(line)[0].upper() == b"AUTH":
                auth_next = True
                i += 1
                if i == len(queue) - 1:      # our CAPA is taken as the AUTH response: send another
                    queue.append(b"CAPA")
                    c.send(b"CAPA\r\n")
                continue
            if not STATUS_OK.match(raw):
                self.anomaly(inp, "reply line is not +OK/-ERR", raw[:300])
                self.close()
                return
            if len(raw) > 512:
                self.anomaly(inp, "status line of %d octets (RFC 2449 4: at most 512)" % len(raw), raw[:300])
            if raw.startswith(b"-ERR"):
                self.errs += 1
            if raw.startswith(b"-ERR too many"):
                too_many = True
                continue
            was_auth = auth_next
            auth_ish = was_auth or pop3_name_arg(line)[0].upper() in (b"AUTH", b"PASS", b"USER", b"APOP") or \
                len(line) + 1 > 512
            last = (line, raw, auth_ish)
            auth_next = False
            if raw.startswith(b"+OK") and not was_auth and pop3_multiline(line):
                body = c.multiline()
                name, arg = pop3_name_arg(line)
                if name.upper() == b"RETR" and arg.isdigit() and 1 <= int(arg) <= len(self.known):
                    if retrieval.pop3_unstuff(body) != self.known[int(arg) - 1]:
                        self.anomaly(inp, "RETR %s did not give the message" % arg.decode(), body[:300])
                if i == len(queue) - 1:
                    if body != self.capa:
                        self.anomaly(inp, "the CAPA after the input got another answer: replies out of step "
                                     "with command lines", body[:300])
                        self.close()
                    return
            elif i == len(queue) - 1:
                self.anomaly(inp, "the CAPA after the input got %r: replies out of step with command lines" % raw,
                             c.transcript(1500).encode())
                self.close()
                return
            i += 1


class RetrievalFuzzTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({
            "pop3": {"max_bad_commands": MAX_BAD_COMMANDS},
            "imap": {"max_bad_commands": MAX_BAD_COMMANDS},
        })
        cls.srv.add_user(USER, PASSWORD)
        c = cls.srv.smtp()
        try:
            for i in range(MESSAGES):
                body = ["message %d" % i, ".", "..leading dots", "x" * (i * 100)]
                c.sendmail("sender@example.org", [USER], make_message("fuzz target %d" % i, body, to=USER))
        finally:
            c.quit()
        if len(cls.srv.wait_mailbox(USER, MESSAGES)) != MESSAGES:
            raise AssertionError("local delivery of the fuzz targets failed\n" + cls.srv.diagnostics())

    def test_malformed_commands(self):
        print("\n[fuzz] seed %d (RINGPOST_FUZZ_SEED), at most %d inputs in %.0fs" % (SEED, MAX_INPUTS, SECONDS),
              flush=True)
        before = retrieval.imap_dump(self.srv.imap_port, USER, PASSWORD)
        pop_before = retrieval.pop3_dump(self.srv.pop3_port, USER, PASSWORD)
        known = [pop_before[u] for u in sorted(pop_before)]
        self.assertEqual(len(before), MESSAGES)
        mailboxes_before = self.mailboxes()
        self.anomalies = []
        phases = ["imap-prelogin", "imap-auth", "imap-selected", "pop3-prelogin", "pop3-transaction"]
        t0 = time.monotonic()
        stats = []
        for k, phase in enumerate(phases):
            rng = random.Random("%d/%s" % (SEED, phase))
            budget = MAX_INPUTS // len(phases)
            deadline = time.monotonic() + SECONDS / len(phases)
            if phase.startswith("imap"):
                f = ImapFuzz(self, phase, rng, budget, deadline)
                f.run()
            else:
                f = Pop3Fuzz(self, phase, rng, budget, deadline)
                f.run(known)
            stats.append("%s %d inputs / %d connections" % (phase, f.sent, f.connections))
            self.assertTrue(self.srv.running(), "ringpost died during the %s phase (last input #%d)\n%s"
                            % (phase, f.sent, self.srv.diagnostics()))
        print("[fuzz] %s; %.1fs" % ("; ".join(stats), time.monotonic() - t0), flush=True)

        # The server still works: a fresh session reads a known message byte for byte.
        c = RawImap(self.srv.imap_port)
        self.addCleanup(c.close)
        c.login(USER, PASSWORD)
        c.ok("EXAMINE INBOX")
        uid = sorted(before)[-1]
        _, untagged = c.ok("UID FETCH %d (BODY.PEEK[])" % uid)
        got = [retrieval.fetch_items(r)[1] for r in untagged if retrieval.fetch_items(r)[0] is not None]
        self.assertEqual([g[b"BODY[]"] for g in got], [before[uid][1]], "a fresh IMAP session reads uid %d" % uid)
        p = RawPop3(self.srv.pop3_port)
        self.addCleanup(p.close)
        p.login(USER, PASSWORD)
        _, data = p.retr(1)
        self.assertEqual(data, known[0], "a fresh POP3 session reads message 1")
        p.ok("QUIT")
        # Stored mail unchanged: the same UIDs with the same bytes, the same folders.
        after = retrieval.imap_dump(self.srv.imap_port, USER, PASSWORD)
        self.assertEqual(sorted(after), sorted(before), "INBOX UIDs before and after the fuzz pass")
        for u in before:
            self.assertEqual(after[u][1], before[u][1], "uid %d changed" % u)
        self.assertEqual(retrieval.pop3_dump(self.srv.pop3_port, USER, PASSWORD), pop_before)
        self.assertEqual(self.mailboxes(), mailboxes_before)
        crashes = [ln for ln in self.srv.log_lines() if CRASH_RE.search(ln)]
        self.assertEqual(crashes, [], "crash or assertion in the server log")
        self.assertTrue(self.srv.running())
        if self.anomalies:
            self.fail(self.describe_anomalies())

    def mailboxes(self):
        c = RawImap(self.srv.imap_port)
        try:
            c.login(USER, PASSWORD)
            _, untagged = c.ok('LIST "" "*"')
            return sorted(r.raw for r in untagged)
        finally:
            c.close()

    def describe_anomalies(self):
        by_problem = {}
        for phase, n, inp, problem, detail in self.anomalies:
            cases = by_problem.setdefault((phase, problem), [])
            if all(inp != other for _, other, _ in cases):
                cases.append((n, inp, detail))
        out = ["%d malformed or missing replies (seed %d; RINGPOST_FUZZ_SEED=%d reproduces them):"
               % (len(self.anomalies), SEED, SEED)]
        shown = 0
        for (phase, problem), cases in sorted(by_problem.items()):
            out.append("\n== %s: %s (%d distinct inputs)" % (phase, problem, len(cases)))
            for n, inp, detail in cases[:3]:
                if shown >= MAX_ANOMALIES_SHOWN:
                    break
                shown += 1
                show = inp if len(inp) < 200 else inp[:150] + b"...[%d bytes]..." % len(inp) + inp[-40:]
                out.append("  input #%d: %r" % (n, show))
                out.append("    server: %r" % (detail if len(detail) < 700 else detail[-700:]))
        return "\n".join(out)
