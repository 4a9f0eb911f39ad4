"""`ringpost metrics`: the running server's counters in the Prometheus text
format, parsed by the reference parser (Debian python3-prometheus-client's
text_string_to_metric_families) and checked against known traffic: SMTP
messages accepted, a refused RCPT, a delivery to a Python sink and a
permanent failure (with its DSN), AUTH failures, POP3 and IMAP logins.
Counters are compared as differences from a scrape taken before the traffic."""

import imaplib
import json
import os
import re
import poplib
import smtplib
import ssl
import subprocess
import urllib.request
import time
import unittest

import harness
from harness import ServerTestCase, make_message
from sink import SmtpSink, free_port_on

SYSTEM_PYTHON = "/usr/bin/python3"   # python3-prometheus-client is a Debian package, not in a virtualenv
USER = "u2@localhost"
SENDER = "s1@localhost"
PASSWORD = "test-password-1"
DELIVERY_TIMEOUT = 20.0

# Parses the exposition read from stdin with the reference parser and
# prints it as JSON: {"families": [name, ...], "samples": [[name, {labels}, value], ...]}.
PARSE = r"""
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {"families": [], "samples": []}
for family in text_string_to_metric_families(sys.stdin.read()):
    out["families"].append(family.name)
    for s in family.samples:
        out["samples"].append([s.name, s.labels, s.value])
json.dump(out, sys.stdout)
"""
GRAFANA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "grafana", "ringpost.json")


class Metrics:
    """One scrape: value(name, **labels) sums the samples whose labels
    include the given ones; `names` holds every sample name."""

    def __init__(self, parsed):
        self.samples = parsed["samples"]
        self.names = {name for name, _, _ in self.samples}
        self.families = set(parsed["families"])   # the parser's: counters without _total

    def has(self, name):
        """A sample or family of this name (counters as _total, histograms as _bucket/_sum/_count too)."""
        stems = [name] + [name[:-len(s)] for s in ("_total", "_bucket", "_sum", "_count") if name.endswith(s)]
        return name in self.names or any(s in self.families for s in stems)

    def value(self, name, **labels):
        return sum(v for n, l, v in self.samples if n == name and all(l.get(k) == w for k, w in labels.items()))

    def minus(self, before, name, **labels):
        return self.value(name, **labels) - before.value(name, **labels)


def scrape(srv, via="http"):
    """The exposition text: GET /metrics (what Prometheus scrapes), or
    `ringpost metrics` over the admin socket (via="cli"; the same text)."""
    if via == "cli":
        return srv.cli("metrics", check=0).stdout
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % srv.http_port, timeout=20) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4"), resp.headers["Content-Type"]
        return resp.read()


def fetch_metrics(tc, srv, via="http"):
    """The server's metrics, parsed by the reference parser."""
    text = scrape(srv, via)
    r = type("Scrape", (), {"stdout": text, "out": text.decode(errors="replace")})
    try:
        p = subprocess.run([SYSTEM_PYTHON, "-c", PARSE], input=r.stdout, capture_output=True, timeout=60)
    except OSError:
        harness.missing_dependency(tc, SYSTEM_PYTHON + " (python3-prometheus-client)")
    if p.returncode != 0 and b"No module named 'prometheus_client'" in p.stderr:
        harness.missing_dependency(tc, "python3-prometheus-client (tools/install-deps.sh installs it)")
    tc.assertEqual(p.returncode, 0, "the reference parser refused the exposition:\n%s\n%s"
                   % (p.stderr.decode(errors="replace"), r.out[:3000]))
    return Metrics(json.loads(p.stdout))


class MetricsTest(ServerTestCase):

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink("127.0.0.1", free_port_on(["127.0.0.1"])).start()
        self.addCleanup(self.sink.stop)
        self.srv = self.start_server({"delivery": {"routes": {"sink.test": "[127.0.0.1]:%d" % self.sink.port}}})
        for user in (USER, SENDER):
            self.srv.add_user(user, PASSWORD)

    def wait_metrics(self, before, done, what):
        """Scrapes until done(metrics) (bounded); returns the last scrape."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            m = fetch_metrics(self, self.srv)
            if done(m) or time.monotonic() > deadline:
                self.assertTrue(done(m), "%s within %ss" % (what, DELIVERY_TIMEOUT))
                return m
            time.sleep(0.2)

    # --- the traffic ---

    def refused_rcpt(self):
        """One session: EHLO, MAIL, a RCPT to an unknown local user (550), QUIT."""
        c = self.srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<nobody@localhost>"), 550, "5.1.1", client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)

    def smtp_auth_failure(self):
        """Submission: STARTTLS, then AUTH PLAIN with a wrong password (535)."""
        c = smtplib.SMTP("127.0.0.1", self.srv.submission_port, timeout=15)
        try:
            c.ehlo("client.test")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c.starttls(context=ctx)
            c.ehlo("client.test")
            # One AUTH PLAIN (login() would go on to try AUTH LOGIN too).
            c.user, c.password = USER, "wrong-password"
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                c.auth("PLAIN", c.auth_plain)
        finally:
            c.quit()

    def mailbox_logins(self):
        """POP3: a good login. IMAP: a wrong password, then a good login."""
        p = poplib.POP3("127.0.0.1", self.srv.pop3_port, timeout=15)
        p.user(USER)
        p.pass_(PASSWORD)
        p.stat()
        p.quit()
        i = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=15)
        with self.assertRaises(imaplib.IMAP4.error):
            i.login(USER, "wrong-password")
        i.login(USER, PASSWORD)
        i.logout()

    def test_counters_match_the_traffic_sent(self):
        before = fetch_metrics(self, self.srv)
        messages = [(USER, make_message("local %d" % n, ["one"], sender=SENDER, to=USER)) for n in range(2)]
        messages.append(("ok@sink.test", make_message("remote", ["two"], sender=SENDER, to="ok@sink.test")))
        messages.append(("reject@sink.test", make_message("refused there", ["three"], sender=SENDER,
                                                           to="reject@sink.test")))
        for rcpt, msg in messages:
            self.srv.send(SENDER, [rcpt], msg)
        self.refused_rcpt()
        self.smtp_auth_failure()
        self.mailbox_logins()
        self.assertTrue(self.sink.wait_messages(1, timeout=DELIVERY_TIMEOUT), self.sink.describe())
        # Delivered: two local messages, the sink's, and the DSN of the refused one into SENDER's INBOX.
        m = self.wait_metrics(before, lambda m: m.minus(before, "ringpost_deliveries_total", result="delivered") >= 4
                              and m.minus(before, "ringpost_deliveries_total", result="failed") >= 1,
                              "four deliveries and one failure counted")

        d = lambda name, **labels: m.minus(before, name, **labels)
        # SMTP: five sessions on port 25 (four smtplib transactions and the refused RCPT's).
        self.assertEqual(d("ringpost_connections_total", protocol="smtp", result="accepted"), 5)
        self.assertEqual(d("ringpost_connections_total", protocol="submission", result="accepted"), 1)
        self.assertEqual(d("ringpost_connections_total", protocol="pop3", result="accepted"), 1)
        self.assertEqual(d("ringpost_connections_total", protocol="imap", result="accepted"), 1)
        self.assertEqual(d("ringpost_connections_total", result="refused_limit"), 0)
        self.assertEqual(d("ringpost_smtp_commands_total", verb="mail"), 5)
        self.assertEqual(d("ringpost_smtp_commands_total", verb="rcpt"), 5)
        self.assertEqual(d("ringpost_smtp_commands_total", verb="data"), 4)
        self.assertEqual(d("ringpost_smtp_commands_total", verb="starttls"), 1)
        self.assertEqual(d("ringpost_smtp_commands_total", verb="auth"), 1)
        self.assertEqual(d("ringpost_smtp_replies_total", **{"class": "5xx"}), 2)   # the 550 and the 535
        self.assertEqual(d("ringpost_messages_accepted_total"), 4)
        self.assertGreaterEqual(d("ringpost_messages_accepted_bytes_total"), sum(len(msg) for _, msg in messages))
        self.assertEqual(d("ringpost_messages_rejected_total"), 0)
        self.assertEqual(d("ringpost_smtp_recipients_rejected_total", reason="unknown_user"), 1)
        self.assertEqual(d("ringpost_smtp_recipients_rejected_total"), 1)
        # Delivery: results by site and class, the DSN.
        self.assertEqual(d("ringpost_deliveries_total", result="delivered"), 4)
        self.assertEqual(d("ringpost_deliveries_total", result="delivered", site="local"), 3)
        self.assertEqual(d("ringpost_deliveries_total", result="failed", **{"class": "invalid-recipient"}), 1)
        self.assertEqual(d("ringpost_deliveries_total", result="deferred"), 0)
        self.assertEqual(d("ringpost_dsn_generated_total", action="failed"), 1)
        # STARTTLS on the submission port: the protocol as the `tls` log line names it.
        self.assertEqual(d("ringpost_tls_handshakes_total", direction="inbound", protocol="smtp", result="ok"), 1)
        self.assertEqual(d("ringpost_tls_handshakes_total", result="failed"), 0)
        # Logins and refused authentications.
        self.assertEqual(d("ringpost_auth_failures_total", protocol="smtp"), 1)
        self.assertEqual(d("ringpost_auth_failures_total", protocol="imap"), 1)
        self.assertEqual(d("ringpost_auth_failures_total", protocol="pop3"), 0)
        self.assertEqual(d("ringpost_logins_total", protocol="pop3", result="ok"), 1)
        self.assertEqual(d("ringpost_logins_total", protocol="imap", result="ok"), 1)
        self.assertEqual(d("ringpost_logins_total", protocol="imap", result="failed"), 1)
        self.assertEqual(d("ringpost_logins_total", protocol="smtp", result="failed"), 1)
        self.assertEqual(d("ringpost_pop3_commands_total", verb="user"), 1)
        self.assertEqual(d("ringpost_pop3_commands_total", verb="pass"), 1)
        self.assertEqual(d("ringpost_imap_commands_total", command="login"), 2)
        # Group commit: the four messages, the outcomes and the DSN went through it.
        self.assertGreaterEqual(d("ringpost_store_commit_batch_size_count"), 1)
        self.assertGreaterEqual(d("ringpost_store_commit_batch_size_sum"), 4 + 4)
        self.assertGreaterEqual(d("ringpost_store_sync_write_seconds_count"), 1)
        # The live gauges are there (values depend on timing).
        for name in ("ringpost_queue_messages", "ringpost_queue_oldest_age_seconds", "ringpost_pool_queued",
                     "ringpost_connections_open"):
            self.assertIn(name, m.names)
        # Every family is there from the start, and the Grafana dashboard uses only real names.
        for family in ("ringpost_dns_lookups", "ringpost_tls_handshakes", "ringpost_queue_site_messages",
                       "ringpost_messages_rejected"):
            self.assertIn(family, before.families)
        with open(GRAFANA, encoding="utf-8") as f:
            dashboard = set(re.findall(r"ringpost_[a-z_]+", f.read()))
        self.assertGreater(len(dashboard), 10)
        self.assertEqual(sorted(n for n in dashboard if not m.has(n)), [], "dashboard names not in the exposition")

    def test_without_a_server_it_says_it_needs_one(self):
        self.srv.stop()
        r = self.srv.cli("metrics")
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertIn("needs the running server", r.err)
        self.assertEqual(r.out, "")

    def test_the_cli_and_get_metrics_show_the_same_families(self):
        over_cli = fetch_metrics(self, self.srv, via="cli")
        over_http = fetch_metrics(self, self.srv)
        self.assertEqual(over_cli.families, over_http.families)
        self.assertIn("ringpost_messages_accepted", over_http.families)

if __name__ == "__main__":
    unittest.main()
