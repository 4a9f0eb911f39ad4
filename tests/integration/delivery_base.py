"""Shared pieces of the delivery tests: a dnsmasq per test class, SMTP sinks
on 127.0.0.2, 127.0.0.3, ... at one free port per test, a ringpost server per
test whose [delivery] section points at them, and DSN parsing.

Every wait is bounded. A delivery test first waits (FIRST_ATTEMPT_TIMEOUT) for
the engine to log any `event=delivery` line for its message, so that without
a delivery engine each test fails in seconds with a message that says so.
"""

import email
import email.policy
import re
import time

import harness
from harness import HOSTNAME, ServerTestCase
from dns_server import DnsServer
from sink import SmtpSink, free_port_on

FIRST_ATTEMPT_TIMEOUT = 5.0    # acceptance -> first delivery attempt logged
DELIVERY_TIMEOUT = 20.0        # bounded waits for an outcome
SETTLE = 1.5                   # "nothing more happens" checks
SINK_HOSTS = tuple("127.0.0.%d" % i for i in range(2, 10))


class Dsn:
    """A delivery status notification as stored in a mailbox (RFC 3464 / 6533)."""

    def __init__(self, mid, data):
        self.mid = mid
        self.data = data
        self.msg = email.message_from_bytes(data, policy=email.policy.compat32)
        self.content_type = self.msg.get_content_type()
        self.report_type = self.msg.get_param("report-type")
        self.per_message = {}
        self.recipients = []
        self.status_type = None
        self.human = None
        self.original = None       # the returned message or headers, bytes
        if self.content_type != "multipart/report" or not self.msg.is_multipart():
            return
        parts = self.msg.get_payload()
        for p in parts:
            ct = p.get_content_type()
            if ct in ("message/delivery-status", "message/global-delivery-status") and self.status_type is None:
                self.status_type = ct
                blocks = _status_blocks(p)
                if blocks:
                    self.per_message, self.recipients = blocks[0], blocks[1:]
            elif ct == "text/plain" and self.human is None:
                self.human = p.get_payload(decode=True) or b""
            elif ct in ("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers"):
                sub = p.get_payload()
                if isinstance(sub, list) and sub:
                    self.original = sub[0].as_bytes()
                else:
                    self.original = p.get_payload(decode=True) or b""

    def recipient(self, address):
        """The per-recipient block whose Final-Recipient (or Original-Recipient) is `address`."""
        a = address.lower()
        for b in self.recipients:
            for k in ("final-recipient", "original-recipient"):
                v = _unxtext(b.get(k, "")).lower()
                if v.split(";", 1)[-1].strip().strip("<>") == a:
                    return b
        return None

    def describe(self):
        return ("DSN %s: Content-Type %s report-type=%s, status part %s\n  per-message %r\n  recipients %r\n"
                "  first bytes: %r" % (self.mid, self.content_type, self.report_type, self.status_type,
                                       self.per_message, self.recipients, self.data[:600]))


def _utf8(v):
    """Header values of 8-bit parts come back surrogate-escaped from the email package: make them text."""
    try:
        return v.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return v


def _unxtext(v):
    """RFC 6533 utf-8-addr-xtext: \\x{HHHH} escapes -> characters."""
    return re.sub(r"\\x\{([0-9A-Fa-f]{1,6})\}", lambda m: chr(int(m.group(1), 16)), v)


def _clean(v):
    return _utf8(re.sub(r"\s*\r?\n\s+", " ", v).strip())


def _field_blocks(text):
    """'Name: value' groups separated by blank lines -> [{lower name: value}] (folded lines joined)."""
    blocks, cur, last = [], {}, None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if cur:
                blocks.append(cur)
            cur, last = {}, None
        elif line[0] in " \t" and last:
            cur[last] += " " + line.strip()
        elif ":" in line:
            k, v = line.split(":", 1)
            last = k.strip().lower()
            cur[last] = v.strip()
    if cur:
        blocks.append(cur)
    return blocks


def _status_blocks(part):
    payload = part.get_payload()
    if isinstance(payload, list):
        if part.get_content_type() == "message/delivery-status":
            return [{k.lower(): _clean(v) for k, v in b.items()} for b in payload]
        # message/global-delivery-status is parsed like a message: its header
        # is the per-message block, its "body" the per-recipient blocks.
        blocks = []
        for b in payload:
            blocks.append({k.lower(): _clean(v) for k, v in b.items()})
            body = b.get_payload(decode=True)   # raw bytes: get_payload() would garble 8-bit text
            if isinstance(body, bytes):
                blocks += _field_blocks(body.decode("utf-8", "replace"))
        return blocks
    raw = part.get_payload(decode=True) or b""
    return _field_blocks(raw.decode("utf-8", "replace"))


class DeliveryTestCase(ServerTestCase):
    """Subclasses set ZONE = dict(mx=..., hosts=..., null_mx=...) for their dnsmasq."""

    ZONE = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dns = DnsServer(**cls.ZONE)
        cls.addClassCleanup(cls.dns.cleanup)
        cls.dns.start()

    def setUp(self):
        super().setUp()
        self.sinks = []
        self.remote_port = free_port_on(["127.0.0.1"] + list(SINK_HOSTS))

    # --- fixtures ---
    def start_sink(self, host, port=None, **kw):
        s = SmtpSink(host, port or self.remote_port, **kw)
        self.addCleanup(s.stop)
        s.start()
        self.sinks.append(s)
        return s

    def delivery_server(self, delivery=None, config=None, users=(), **kw):
        d = {
            "dns_servers": [self.dns.address],
            "remote_port": self.remote_port,
            "retry_schedule": ["1s"],
            "connect_timeout": "5s",
        }
        d.update(delivery or {})
        cfg = harness.merge({"delivery": d}, config or {})
        srv = self.start_server(cfg, **kw)
        for u in users:
            srv.add_user(u)
        return srv

    def server_diagnostics(self):
        parts = [super().server_diagnostics()]
        for s in getattr(self, "sinks", []):
            parts.append(s.describe())
        dns = type(self).__dict__.get("dns")
        if dns is not None:
            parts.append(dns.diagnostics())
        return "\n".join(p for p in parts if p)

    # --- waits and checks ---
    def wait_first_attempt(self, srv, qid, timeout=FIRST_ATTEMPT_TIMEOUT):
        """The first `event=delivery qid=QID` line; fails fast if the engine never tries."""
        ev = srv.wait_log(lambda d: d.get("event") == "delivery" and d.get("qid") == qid, timeout=timeout)
        if ev is None:
            self.fail("no 'event=delivery qid=%s' log line within %.0fs of the 250: the delivery engine did not "
                      "attempt the message (not running yet?)\nqueue list:\n%s"
                      % (qid, timeout, "\n".join(l for _, l in srv.queue_list())))
        return ev

    def wait_delivery(self, srv, qid, rcpt, result, timeout=DELIVERY_TIMEOUT):
        """The `event=delivery` line of qid/rcpt with the given result; fails with the lines seen."""
        self.wait_first_attempt(srv, qid)
        ev = srv.wait_log(lambda d: d.get("event") == "delivery" and d.get("qid") == qid and
                          d.get("rcpt") == rcpt and d.get("result") == result, timeout=timeout)
        if ev is None:
            self.fail("no 'event=delivery qid=%s rcpt=%s result=%s' within %.0fs; delivery lines for %s:\n%s"
                      % (qid, rcpt, result, timeout, qid,
                         "\n".join(repr(d) for d in srv.delivery_events(qid)) or "(none)"))
        return ev

    def assertQueueEmpty(self, srv, timeout=DELIVERY_TIMEOUT, msg=""):
        left = srv.wait_queue_empty(timeout)
        self.assertEqual(left, [], "the queue should be empty %s within %.0fs, but holds:\n%s"
                         % (msg, timeout, "\n".join(e["line"] for e in left)))
        footer = srv.queue_footer()
        self.assertTrue(footer.startswith("-- 0 messages"), "queue list footer with an empty queue: %r" % footer)

    def wait_sink(self, sink, n, timeout=DELIVERY_TIMEOUT, what=""):
        if not sink.wait_messages(n, timeout):
            self.fail("%s: %d of %d expected messages arrived at %s within %.0fs %s"
                      % (sink.name, len(sink.snapshot()), n, sink.address, timeout, what))
        return sink.snapshot()

    def get_dsns(self, srv, user, n, timeout=DELIVERY_TIMEOUT):
        """The first n messages in `user`'s INBOX, parsed as DSNs (asserting n arrive)."""
        entries = srv.wait_mailbox(user, n, timeout)
        if len(entries) < n:
            self.fail("%d DSN(s) expected in %s's INBOX within %.0fs, found %d:\n%s\ndsn log lines:\n%s"
                      % (n, user, timeout, len(entries), "\n".join(l for _, l in entries),
                         "\n".join(repr(d) for d in srv.log_events("dsn")) or "(none)"))
        res = []
        for mid, _ in entries:
            data = srv.mailbox_show(user, mid)
            res.append(Dsn(mid, data))
        return res

    def check_dsn(self, dsn, rcpt, action, status=None, diagnostic=None, report_type="delivery-status"):
        """Common checks of one DSN about `rcpt`; returns its per-recipient block."""
        d = dsn.describe()
        self.assertTrue(dsn.data.startswith(b"Return-Path: <>\r\n"),
                        "a DSN comes from the null sender (Return-Path: <>):\n" + d)
        self.assertEqual(dsn.content_type, "multipart/report", "DSN Content-Type:\n" + d)
        types = (report_type,) if isinstance(report_type, str) else tuple(report_type)
        self.assertIn(dsn.report_type, types, "DSN report-type:\n" + d)
        self.assertEqual(dsn.status_type, "message/" + dsn.report_type,
                         "the status part must be message/%s:\n%s" % (dsn.report_type, d))
        self.assertIn(HOSTNAME, dsn.per_message.get("reporting-mta", ""), "Reporting-MTA should name us:\n" + d)
        block = dsn.recipient(rcpt)
        self.assertIsNotNone(block, "the DSN has no per-recipient block for %s:\n%s" % (rcpt, d))
        self.assertEqual(block.get("action", "").lower(), action, "Action for %s:\n%s" % (rcpt, d))
        if status:
            st = block.get("status", "").split()[0] if block.get("status") else ""
            if isinstance(status, str) and status.endswith("."):
                self.assertTrue(st.startswith(status), "Status for %s should start with %s:\n%s" % (rcpt, status, d))
            else:
                self.assertEqual(st, status, "Status for %s:\n%s" % (rcpt, d))
        if diagnostic:
            self.assertIn(diagnostic, block.get("diagnostic-code", ""), "Diagnostic-Code for %s:\n%s" % (rcpt, d))
        return block

    def assertNoDsn(self, srv, qid, user, settle=SETTLE):
        """No `event=dsn` for qid and nothing in user's INBOX, `settle` seconds on."""
        time.sleep(settle)
        evs = [d for d in srv.log_events("dsn") if d.get("qid") == qid]
        self.assertEqual(evs, [], "no DSN may be sent for %s" % qid)
        self.assertEqual(srv.mailbox_list(user), [], "%s's INBOX should stay empty (no DSN)" % user)
