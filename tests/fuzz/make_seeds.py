#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ (docs/FUZZING.md).

Seeds are what real peers send: SMTP and POP3 sessions, IMAP commands from
the unit tests, server replies, DNS replies built byte by byte, the MIME
corpus of tests/unit/mail/corpus, DSN inputs and configuration files. Most
targets read two header bytes first (tests/fuzz/fuzz_input.hpp): the
chunking seed and option bits; each seed is written with a few of them.
Run it again after changing a seed list here; it rewrites only corpus/.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHUNKINGS = [0, 1, 7, 40]   # whole, byte by byte, up to 8, up to 41 bytes


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def with_header(target, name, data, options=(0,)):
    for i, opt in enumerate(options):
        chunk = CHUNKINGS[i % len(CHUNKINGS)]
        write(target, f"{name}-{i}", bytes([chunk, opt]) + data)


SMTP = {
    "basic": b"EHLO client.example\r\nMAIL FROM:<a@client.example>\r\nRCPT TO:<b@local.example>\r\n"
             b"DATA\r\nSubject: hi\r\n\r\nHello\r\n..dot\r\n.\r\nQUIT\r\n",
    "pipelined": b"EHLO c\r\nMAIL FROM:<a@c.example> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<b@r.example>\r\n"
                 b"RCPT TO:<cc@r.example>\r\nDATA\r\nx\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n",
    "bdat": b"EHLO c\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@r.example>\r\nBDAT 5\r\nhelloBDAT 7 LAST\r\n world\r\n"
            b"MAIL FROM:<>\r\nRCPT TO:<postmaster>\r\nBDAT 0 LAST\r\nQUIT\r\n",
    "dsn": b"EHLO c\r\nMAIL FROM:<a@c.example> RET=HDRS ENVID=id+2B42 SMTPUTF8\r\n"
           b"RCPT TO:<b@r.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;B+40r.example\r\n"
           b"RCPT TO:<\xc3\xa9l\xc3\xa8ve@r.example> NOTIFY=NEVER\r\nDATA\r\nx\r\n.\r\n",
    "auth": b"EHLO c\r\nAUTH PLAIN AHVzZXIAc2VjcmV0\r\nMAIL FROM:<user@c.example>\r\nRCPT TO:<b@r.example>\r\n"
            b"DATA\r\nFrom: user@c.example\r\n\r\nbody\r\n.\r\nAUTH LOGIN\r\ndXNlcg==\r\nc2VjcmV0\r\nAUTH PLAIN\r\n*\r\n",
    "starttls": b"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<injected@x>\r\nEHLO c\r\nQUIT\r\n",
    "errors": b"HELO\r\nMAIL FROM:<a@b>\r\nFOO\r\nVRFY x\r\nHELP\r\nEHLO a\rb\r\nRCPT TO:<x@denied.example>\r\n"
              b"DATA\r\nGET / HTTP/1.0\r\n" + b"A" * 600 + b"\r\nQUIT\r\n",
    "smuggling": b"EHLO c\r\nMAIL FROM:<a@c>\r\nRCPT TO:<b@r.example>\r\nDATA\r\nx\n.\nMAIL FROM:<evil@c>\r\n"
                 b"\r\n.\n\r\n.\r\n",
}

POP3 = {
    "userpass": b"CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nTOP 2 1\r\nDELE 1\r\n"
                b"LIST 1\r\nRSET\r\nNOOP\r\nQUIT\r\n",
    "auth": b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nUIDL 3\r\nRETR 4\r\nDELE 2\r\nQUIT\r\n"
            b"AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\nAUTH\r\n",
    "stls": b"CAPA\r\nSTLS\r\nUSER x\r\nCAPA\r\nUSER bob\r\nPASS temp\r\nUSER bob\r\nPASS wrong\r\n",
    "errors": b"RETR 1\r\nUSER\r\nPASS\r\nXYZZY\r\n" + b"B" * 300 + b"\r\nTOP 1\r\nLIST 99999999999999\r\nQUIT\r\n",
}

IMAP = [
    b"a1 CAPABILITY\r\na2 LOGIN \"user@example.com\" \"p a\\\"ss\"\r\n",
    b"a3 LOGIN {4+}\r\nuser {6}\r\nsecret\r\n",
    b"a4 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\na4b AUTHENTICATE PLAIN\r\nAGJvYgBzZWNyZXQ=\r\n",
    b"a5 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")\r\na6 ENABLE UTF8=ACCEPT CONDSTORE\r\n",
    b"a7 SELECT \"INBOX\" (CONDSTORE)\r\na8 EXAMINE \"&ZeVnLIqe-\" (QRESYNC (1 2 1:5))\r\n",
    b"a9 CREATE \"Sent\" (USE (\\Sent))\r\nb1 RENAME \"Old\" {3+}\r\nNew\r\n",
    b"b2 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"*\" \"Lists/%\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n",
    b"b4 STATUS \"Drafts\" (UIDNEXT MESSAGES UNSEEN RECENT SIZE)\r\n",
    b"b5 APPEND \"Sent\" (\\Seen \\Draft) \"17-Jul-1996 02:44:25 -0700\" {11}\r\nHello\r\nWorld (\\Seen) {3+}\r\nabc\r\n",
    b"b7 UID SEARCH CHARSET UTF-8 OR (FROM \"a\" TO b) NOT (SEEN FLAGGED) SINCE 1-Feb-1994 LARGER 100 UID 5:*\r\n",
    b"b8 SEARCH HEADER Message-ID {5+}\r\n<a@b> KEYWORD $Junk 1:*\r\n",
    b"b9 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date Message-ID)])\r\n",
    b"c1 FETCH 1,3:5 (BODY[1.2.MIME] BODY.PEEK[2.HEADER.FIELDS.NOT (Received)]<0.100> BODYSTRUCTURE ENVELOPE)\r\n",
    b"c2 FETCH 1:* FULL\r\nc3 UID STORE 3 +FLAGS.SILENT (\\Deleted $Forwarded)\r\nc4 STORE 1 -FLAGS \\Seen \\Flagged\r\n",
    b"c5 UID MOVE 1:5 \"Trash\"\r\nc6 COPY 2 {7}\r\nArchive\r\nc7 IDLE\r\nDONE\r\n",
    b"c8 NAMESPACE\r\nc9 UNSELECT\r\nd0 UID EXPUNGE 1:3,7\r\nd1 LOGOUT\r\n",
    b"e1 APPEND INBOX {99999}\r\ne2 LOGIN ~{3}\r\nabc\r\ne3 NOOP " + b"x" * 300 + b"\r\ne4 X {99999999999999999999+}\r\n",
]

IMAP_SESSION = (
    b"b1 FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[1.MIME] BODY[2.1.HEADER] RFC822.SIZE)\r\n"
    b"b2 UID SEARCH OR SUBJECT hello TEXT budget NOT SEEN\r\nb3 STORE 1:2 +FLAGS (\\Deleted $Junk)\r\n"
    b"b4 UID COPY 1:* Sent\r\nb5 MOVE 2 Trash\r\nb6 EXPUNGE\r\nb7 APPEND Drafts (\\Draft) {14+}\r\n"
    b"Subject: x\r\n\r\nb8 IDLE\r\nDONE\r\nb9 CREATE a/b\r\nc1 RENAME a/b c\r\nc2 STATUS c (MESSAGES)\r\n"
    b"c3 LIST \"\" *\r\nc4 DELETE c\r\nc5 CLOSE\r\nc6 LOGOUT\r\n"
)

REPLIES = {
    "ehlo": b"220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
            b"250-STARTTLS\r\n250-DSN\r\n250 SMTPUTF8\r\n",
    "transaction": b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <x@y>: Recipient address rejected\r\n354 go\r\n"
                   b"250 2.0.0 Ok: queued as 1234\r\n221 2.0.0 Bye\r\n",
    "odd": b"421-4.7.0 too busy\n421 try later\r\n452 4.5.3 too many\r\n250\r\n550-5.7.1 a\r\n550-b\r\n550 5.7.1 c\r\n"
           b"250-x\r\n251 mixed codes\r\n",
    "bad": b"2x0 nope\r\n" + b"250-" + b"y" * 5000 + b"\r\n",
}


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_reply(qname, qtype, answers=(), authority=(), rcode=0, flags=0x8180):
    head = struct.pack(">HHHHHH", 0x1234, flags | rcode, 1, len(answers), len(authority), 0)
    body = dns_name(qname) + struct.pack(">HH", qtype, 1)
    for name, rtype, ttl, rdata in list(answers) + list(authority):
        body += (dns_name(name) if isinstance(name, str) else name) + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return head + body


def soa(ttl_min):
    return dns_name("ns.example.org") + dns_name("admin.example.org") + struct.pack(">IIIII", 1, 3600, 600, 86400, ttl_min)


DNS = {
    # option byte: bits 0-1 type (0 A, 1 MX, 2 AAAA), bits 2-3 status (0 ok, 1 NODATA, 2 NXDOMAIN)
    "a": (0, dns_reply("example.org", 1, [("example.org", 1, 300, bytes([192, 0, 2, 1])),
                                           ("example.org", 1, 60, bytes([192, 0, 2, 2]))])),
    "mx": (1, dns_reply("example.org", 15, [("example.org", 15, 300, struct.pack(">H", 10) + dns_name("mx1.example.org")),
                                             (b"\xc0\x0c", 15, 300, struct.pack(">H", 20) + b"\x03mx2\xc0\x0c")])),
    "null_mx": (1, dns_reply("example.org", 15, [("example.org", 15, 300, struct.pack(">H", 0) + b"\0")])),
    "aaaa": (2, dns_reply("example.org", 28, [("example.org", 28, 300, bytes(range(16)))])),
    "cname_loop": (0, dns_reply("example.org", 1, [("example.org", 5, 300, dns_name("b.example.org")),
                                                    ("b.example.org", 5, 300, dns_name("example.org"))])),
    "nodata_soa": (4, dns_reply("example.org", 15, [], [("example.org", 6, 900, soa(120))])),
    "nxdomain": (8, dns_reply("example.org", 1, [], [("example.org", 6, 900, soa(60))], rcode=3)),
    "compressed_loop": (1, dns_reply("example.org", 15, [(b"\xc0\x0c", 15, 300, b"\x00\x0a\xc0\x2b")])),
}

DSN_FIELDS = [
    (b"rcpt@remote.example", b"rfc822;rcpt@remote.example", b"550-5.1.1 <rcpt@remote.example>: no such user\r\n550 5.1.1 bye",
     b"mx.remote.example", b"5.1.1", b"envid-1", b"sender@local.example"),
    (b"\xc3\xa9l\xc3\xa8ve@remote.example", b"utf-8;\xc3\xa9l\xc3\xa8ve@remote.example", b"451 4.4.1 timeout",
     b"", b"4.4.1", b"", b"j\xc3\xb6rg@local.example"),
    (b"x@y", b"", b"", b"", b"bogus", b"a" * 200, b""),
]


HTTP = {
    "get": b"GET /api/v1/queue/list?arg=a%20b&arg=c HTTP/1.1\r\nHost: x\r\n\r\n",
    "pipelined": b"GET /api/v1/commands HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"POST /api/v1/user/add HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"args\": [1]}"
                 b"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "chunked": b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
               b"5\r\nhello\r\n6;ext=\"q\"\r\n world\r\n0\r\nTrailer: t\r\n\r\n",
    "absolute": b"\r\nOPTIONS http://h:8025/a%2Fb?x=1+2&y HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    "bad": b"BREW /pot HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
}

DMARC = {
    "full": b"v=DMARC1; p=reject; sp=quarantine; np=none; adkim=s; aspf=r; pct=25; fo=1:d; rf=afrf; "
            b"ri=3600; rua=mailto:agg@example.com!10m, mailto:b@example.net; ruf=mailto:f@example.com",
    "minimal": b"v=DMARC1;p=none",
    "defaulted": b"V = DMARC1 ; p=bogus; rua=mailto:agg@example.com;;",
    "malformed": b"v=DMARC1; p=reject; garbage; =x",
    "from": b"From: \"Ann, B\" <ann@Mail.Example.CO.UK>, bob@example.co.uk\r\nTo: x@y\r\n\r\nbody",
    "two_from": b"From: a@example.com\r\nfrom: b@xn--bcher-kva.example\r\n\r\n",
}

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
V2_INET = bytes([192, 0, 2, 10, 198, 51, 100, 1]) + struct.pack(">HH", 51000, 25)
V2_INET6 = (bytes.fromhex("20010db8000000000000000000000007") + bytes.fromhex("20010db8000000000000000000000001")
            + struct.pack(">HH", 40000, 465))


def proxy_v2(ver_cmd, family, block):
    return V2_SIG + bytes([ver_cmd, family]) + struct.pack(">H", len(block)) + block


def tlv(kind, value):
    return bytes([kind]) + struct.pack(">H", len(value)) + value


# What HAProxy and the cloud load balancers send, with the client's first
# bytes behind (an EHLO, a TLS ClientHello), and a few damaged headers.
PROXY = {
    "v1_tcp4": b"PROXY TCP4 192.0.2.10 198.51.100.1 51000 25\r\nEHLO client.example\r\n",
    "v1_tcp6": b"PROXY TCP6 2001:db8::7 2001:db8::1 40000 993\r\n\x16\x03\x01\x00\x05hello",
    "v1_unknown": b"PROXY UNKNOWN\r\n",
    "v1_unknown_long": b"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
                       b" 65535 65535\r\n",
    "v1_bad": b"PROXY TCP4 192.0.2.010 198.51.100.1 51000 25\r\n",
    "v2_inet": proxy_v2(0x21, 0x11, V2_INET) + b"\x16\x03\x01\x02\x00\x01",
    "v2_inet6": proxy_v2(0x21, 0x21, V2_INET6) + b"QUIT\r\n",
    "v2_local": proxy_v2(0x20, 0x00, b""),
    "v2_tlvs": proxy_v2(0x21, 0x11, V2_INET + tlv(0x01, b"h2") + tlv(0x02, b"example.org") + tlv(0x04, b"")
                        + tlv(0xEA, b"\x01vpce-0123456789abcdef")) + b"EHLO x\r\n",
    "v2_bad_tlv": proxy_v2(0x21, 0x11, V2_INET + b"\x01\x00\x09h2"),
    "v2_unix": proxy_v2(0x21, 0x31, b"u" * 216),
}



def milter_packet(code, payload=b""):
    return struct.pack(">I", len(payload) + 1) + code + payload


# What milters answer at the end of a message (rspamd's GTUBE reply, its
# headers; a scripted milter's edits), and broken packets.
MILTER = {
    "gtube": milter_packet(b"p") + milter_packet(b"y", b"554 5.7.1 Gtube pattern\0"),
    "headers": milter_packet(b"m", struct.pack(">I", 1) + b"X-Spam\0\0")
               + milter_packet(b"h", b"X-Spam-Status\0No, score=0.10\n\ttests=[NONE]\0")
               + milter_packet(b"i", struct.pack(">I", 0) + b"X-Rspamd-Queue-Id\0ABC\0") + milter_packet(b"a"),
    "envelope": milter_packet(b"+", b"<new@example.org>\0") + milter_packet(b"-", b"<b@example.net>\0")
                + milter_packet(b"2", b"<p@example.org>\0NOTIFY=NEVER\0") + milter_packet(b"e", b"<>\0")
                + milter_packet(b"c"),
    "body": milter_packet(b"b", b"replaced\n") + milter_packet(b"b", b"body\r\n") + milter_packet(b"q", b"held\0")
            + milter_packet(b"c"),
    "optneg": milter_packet(b"O", struct.pack(">III", 6, 0x1ff, 0x1fffff)) + milter_packet(b"d"),
    "bad": struct.pack(">I", 0) + milter_packet(b"Z") + b"\x7f\xff\xff\xff",
}


SPF = {
    "ip": b"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all",
    "include": b"v=spf1 include:inc.example.org ~all",
    "redirect": b"v=spf1 redirect=%{d2}.",
    "mx_a_ptr": b"v=spf1 a/24//64 mx:%{d} ptr:example.org ?all",
    "exists": b"v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all exp=why.%{o}",
    "explain": b"%{L} at %{c} via %{r} (%{t}): see %{P}%%%_%-",
    "bad": b"v=spf1 a:%{x} ip4:1.2.3 redirect= exp=%(ir) -all.",
}


def main():
    for name, data in SMTP.items():
        with_header("smtp_session", name, data, options=(0x00, 0x0e, 0x1f, 0x41))
    for name, data in SMTP.items():
        at = data.find(b"DATA\r\n")
        if at >= 0:
            with_header("dot_decoder", name, data[at + 6:], options=(0x00, 0x21))
    with_header("dot_decoder", "lines", b"a\r\n.\r\n", options=(0x00,))
    with_header("dot_decoder", "bare_lf", b"x\n.\n..\r\n.y\r\n\r\n.\r\ntail", options=(0x00, 0x05))
    for name, data in POP3.items():
        with_header("pop3_session", name, data, options=(0x00, 0x03, 0x05, 0x08))
    for name, data in HTTP.items():
        with_header("http_request", name, data, options=(0x00, 0x01, 0x02, 0x07))
    for name, data in PROXY.items():
        with_header("proxy_header", name, data, options=(0x00, 0x00, 0x00, 0x00))
    for i, data in enumerate(IMAP):
        with_header("imap_command", f"cmd{i:02}", data, options=(0x28, 0x2b))
    login = b"a0 LOGIN alice secret\r\na00 SELECT INBOX\r\n"
    for i, data in enumerate(IMAP):
        with_header("imap_session", f"cmd{i:02}", login + data, options=(0x00,))
    with_header("imap_session", "session", login + IMAP_SESSION, options=(0x00, 0x02))
    for name, data in REPLIES.items():
        with_header("client_reply", name, data, options=(0,))
    for name, data in MILTER.items():
        with_header("milter_reply", name, data, options=(0, 0))
    for name, data in DMARC.items():
        write("dmarc_record", name, data)
    corpus = os.path.join(ROOT, "tests", "unit", "mail", "corpus")
    for f in sorted(os.listdir(corpus)):
        if f.endswith(".eml"):
            with open(os.path.join(corpus, f), "rb") as fh:
                with_header("mime", f[:-4], fh.read(), options=(0x00, 0x03))
    for name, (opt, data) in DNS.items():
        with_header("dns_reply", name, data, options=(opt,))
    original = None
    with open(os.path.join(corpus, "mixed_attachment.eml"), "rb") as fh:
        original = fh.read()
    for i, fields in enumerate(DSN_FIELDS):
        data = b"\x1f".join(fields) + b"\x1f" + original
        with_header("dsn", f"dsn{i}", data, options=(0x00, 0x15, 0xa2, 0x81))
    for name, data in {
        "plain": b"AGFsaWNlAHNlY3JldA==",
        "raw": b"authz\0alice\0secret",
        "padded": b"YQ==",
        "lenient": b"YW Jj\r\nZA=",
        "empty": b"=",
    }.items():
        write("sasl", name, data)
    dkim_seeds()
    for name, data in SPF.items():
        write("spf_record", name, data)
    write("config", "minimal", b'hostname = "mx.example.org"\ndata_dir = "/var/lib/ringpost"\n')
    write("config", "full", FULL_CONFIG)
    write("config", "bad", b'[smtp]\nmax_recipients = -1\nlisten = ["[::1]:25", "300.1.1.1:25"]\n[relay]\nnetworks = ["10.0.0.0/33"]\n')


def dkim_seeds():
    """DKIM-Signature values and key records from the verifier's fixtures
    (tests/unit/dkim/fixtures, made by dkimpy), and a few odd tag lists."""
    fixtures = os.path.join(ROOT, "tests", "unit", "dkim", "fixtures")
    for name in ("rsa_relaxed", "ed25519_simple", "length_appended", "expired", "rsa_sha1"):
        with open(os.path.join(fixtures, name + ".eml"), "rb") as fh:
            header = fh.read().split(b"\r\n\r\n", 1)[0]
        field = header.split(b"\r\nFrom:", 1)[0]
        write("dkim", "sig_" + name, field.split(b":", 1)[1])
    with open(os.path.join(fixtures, "keys.txt"), "rb") as fh:
        for line in fh:
            name, record = line.rstrip(b"\n").split(b" ", 1)
            write("dkim", "key_" + name.split(b".")[0].decode(), record)
    write("dkim", "folded", b" v = 1 ;\r\n\ta=rsa-sha256; h=from :\r\n to; b=abc\r\n def ;")
    write("dkim", "bad", b"a=1;;b; 1x=2; a=3; v=\x01")


FULL_CONFIG = b'''hostname = "mx.example.org"
data_dir = "/tmp/rp"
threads = 2

[smtp]
listen = ["127.0.0.1:2525", "[::1]:2525"]
max_message_size = 1048576
max_recipients = 100

[relay]
local_domains = ["example.org"]
networks = ["127.0.0.0/8", "::1/128"]

[delivery]
retry_schedule = ["5m", "30m", "2h"]
max_queue_lifetime = "5d"

[pop3]
listen = ["127.0.0.1:1110"]

[imap]
listen = ["127.0.0.1:1143"]

[tls]
cert = "/etc/ssl/cert.pem"
key = "/etc/ssl/key.pem"

[log]
level = "info"
'''

if __name__ == "__main__":
    sys.exit(main())
