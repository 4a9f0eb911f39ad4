"""DKIM verification and DMARC at the end of DATA ([inbound] dkim, dmarc;
docs/INBOUND.md), beside SPF, in one Authentication-Results field: keys,
SPF and DMARC records served by dnsmasq on loopback; messages signed by
dkimpy (Debian python3-dkim), an independent signer. A signed message from
an aligned domain passes DKIM and DMARC; one altered after signing fails
DKIM and still passes DMARC through SPF; an unsigned message whose From
domain publishes p=reject and whose envelope sender is another domain
fails DMARC: tagged with policy.dmarc=reject, or refused with 550 5.7.1 in
reject mode; a From domain without a record gets dmarc=none. With
dmarc_quarantine = "junk", a failure whose policy is quarantine (p=quarantine,
or p=reject sampled down by pct=) reaches the local user's Junk mailbox
(read over IMAP; LIST shows \Junk), not INBOX (so not POP3 either), while a
relayed recipient of the same message gets it as it is, tagged."""

import base64
import email
import email.policy
import imaplib
import os
import smtplib
import subprocess
import tempfile
import shutil
import time

import harness
from harness import ServerTestCase
from dns_server import DnsServer
from sink import SmtpSink, free_port_on
from test_spf import SYSTEM_PYTHON, USER, PASSWORD, fetch_all, auth_results

SIGN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dkim_sign.py")


def make_key(tmp):
    """An RSA-2048 key (PEM path) and its DKIM key record."""
    pem = os.path.join(tmp, "dkim.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pem],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


class InboundAuthTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        have = subprocess.run([SYSTEM_PYTHON, "-c", "import dkim"], capture_output=True).returncode == 0
        if not have:
            harness.missing_dependency(None, "python3-dkim (dkimpy) for " + SYSTEM_PYTHON)
        cls.tmp = tempfile.mkdtemp(prefix="ringpost-inbound-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.key, record = make_key(cls.tmp)
        cls.dns = DnsServer(txt={
            "sel._domainkey.signed.test": record,
            "signed.test": "v=spf1 ip4:127.0.0.1 -all",
            "_dmarc.signed.test": "v=DMARC1; p=reject",
            "other.test": "v=spf1 ip4:127.0.0.1 -all",
            "_dmarc.quarantined.test": "v=DMARC1; p=quarantine",
            "_dmarc.sampled.test": "v=DMARC1; p=reject; pct=0",
            "relayer.test": "v=spf1 ip4:127.0.0.0/8 -all",
        }, mx=[("remote.test", "mx.remote.test", 10)], hosts={"mx.remote.test": ["127.0.0.1"]}).start()
        cls.addClassCleanup(cls.dns.cleanup)

    def server(self, inbound):
        srv = self.start_server({"relay": {"relay_networks": ["127.0.0.3/32"]},
                                 "delivery": {"dns_servers": [self.dns.address]},
                                 "inbound": inbound})
        srv.add_user(USER, PASSWORD)
        return srv

    def message(self, subject, sender, signed=False):
        data = harness.make_message(subject, sender=sender, to=USER)
        if signed:
            data = subprocess.run([SYSTEM_PYTHON, SIGN, self.key, "sel", "signed.test"], input=data,
                                  capture_output=True, check=True).stdout
        return data

    def send(self, srv, mail_from, data, rcpts=(USER,), source="127.0.0.1"):
        c = smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.test", timeout=20,
                         source_address=(source, 0))
        try:
            c.ehlo()
            c.mail(mail_from)
            for r in rcpts:
                self.assertEqual(c.rcpt(r)[0], 250, r)
            code, text = c.data(data)
            return code, text.decode("utf-8", "replace")
        finally:
            c.quit()

    def test_dkim_and_dmarc_results_in_one_field(self):
        srv = self.server({"spf": "tag", "dkim": "tag", "dmarc": "tag"})
        signed = self.message("signed", "a@signed.test", signed=True)
        self.assertEqual(self.send(srv, "a@signed.test", signed)[0], 250)
        altered = self.message("altered", "a@signed.test", signed=True).replace(b"Hello", b"HELLO", 1)
        self.assertEqual(self.send(srv, "a@signed.test", altered)[0], 250)
        spoofed = self.message("spoofed", "a@signed.test", signed=False)
        self.assertEqual(self.send(srv, "bounce@other.test", spoofed)[0], 250, "tag mode accepts")
        plain = self.message("plain", "a@other.test", signed=False)
        self.assertEqual(self.send(srv, "a@other.test", plain)[0], 250)
        quarantined = self.message("quarantined", "a@quarantined.test")
        self.assertEqual(self.send(srv, "bounce@other.test", quarantined)[0], 250)
        got = fetch_all(srv, 5)   # all in INBOX: dmarc_quarantine is "tag" by default
        ar = {subject: " ".join(auth_results(m)) for subject, m in got.items()}
        self.assertRegex(ar["signed"], r"spf=pass .*dkim=pass header\.d=signed\.test header\.s=sel "
                                       r'header\.a=rsa-sha256 header\.b=(?:[^;\s"]{8}|"[^"]{8}"); dmarc=pass header\.from=signed\.test '
                                       r"policy\.dmarc=none")
        self.assertRegex(ar["altered"], r"dkim=fail .*header\.d=signed\.test")
        self.assertRegex(ar["altered"], r"dmarc=pass header\.from=signed\.test", "aligned SPF passes DMARC")
        self.assertRegex(ar["spoofed"], r"spf=pass smtp\.mailfrom=bounce@other\.test")
        self.assertRegex(ar["spoofed"], r"dkim=none")
        self.assertRegex(ar["spoofed"], r"dmarc=fail header\.from=signed\.test policy\.dmarc=reject")
        self.assertRegex(ar["plain"], r"dmarc=none reason=\"no DMARC record\" header\.from=other\.test")
        self.assertRegex(ar["quarantined"], r"dmarc=fail header\.from=quarantined\.test policy\.dmarc=quarantine")
        accepted = [d for d in srv.log_events() if d.get("event") == "accepted"]
        self.assertEqual(sorted((d.get("dkim"), d.get("dmarc")) for d in accepted),
                         sorted([("pass", "pass"), ("fail", "pass"), ("none", "fail"), ("none", "none"),
                                 ("none", "fail")]))
        self.assertFalse([d for d in accepted if "local_folder" in d], "tag mode files nothing into Junk")

    def test_reject_mode_refuses_a_dmarc_reject_failure(self):
        srv = self.server({"dmarc": "reject"})
        spoofed = self.message("spoofed", "a@signed.test", signed=False)
        code, text = self.send(srv, "bounce@other.test", spoofed)
        self.assertEqual(code, 550, text)
        self.assertIn("5.7.1", text)
        self.assertIn("DMARC", text)
        signed = self.message("signed", "a@signed.test", signed=True)
        self.assertEqual(self.send(srv, "bounce@other.test", signed)[0], 250, "aligned DKIM passes DMARC")
        self.assertEqual(list(fetch_all(srv, 1)), ["signed"])

    # --- dmarc_quarantine = "junk" ---

    def imap_messages(self, srv, mailbox):
        """{Subject: message header} of every message in USER's mailbox, over IMAP (read-only)."""
        c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=20)
        try:
            c.login(USER, PASSWORD)
            typ, data = c.select(mailbox, readonly=True)
            self.assertEqual(typ, "OK", data)
            n = int(data[0])
            if n == 0:
                return {}
            typ, data = c.fetch("1:%d" % n, "(BODY.PEEK[HEADER])")
            self.assertEqual(typ, "OK", data)
            heads = [email.message_from_bytes(part[1], policy=email.policy.compat32)
                     for part in data if isinstance(part, tuple)]
            return {m["Subject"]: m for m in heads}
        finally:
            c.logout()

    def wait_local_deliveries(self, srv, n, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            done = [d for d in srv.log_events() if d.get("event") == "delivery" and d.get("relay") == "local"]
            if len(done) >= n or time.monotonic() > deadline:
                return done
            time.sleep(0.1)

    def test_junk_mode_files_quarantined_mail_into_junk(self):
        sink_port = free_port_on(["127.0.0.1"])
        sink = SmtpSink("127.0.0.1", sink_port)
        self.addCleanup(sink.stop)
        sink.start()
        srv = self.start_server({"relay": {"relay_networks": ["127.0.0.3/32"]},
                                 "delivery": {"dns_servers": [self.dns.address], "remote_port": sink_port,
                                              "retry_schedule": ["1s"], "connect_timeout": "5s"},
                                 "inbound": {"dmarc": "reject", "dmarc_quarantine": "junk", "check_trusted": True}})
        srv.add_user(USER, PASSWORD)
        sent = [("quarantined", "a@quarantined.test", False), ("sampled", "a@sampled.test", False),
                ("signed", "a@signed.test", True)]
        for subject, author, signed in sent:
            code, text = self.send(srv, "bounce@other.test", self.message(subject, author, signed))
            self.assertEqual(code, 250, "%s: %s" % (subject, text))
        # From a relay client (checked too: check_trusted) to a local and a remote recipient.
        relayed = self.message("relayed", "a@quarantined.test")
        code, text = self.send(srv, "x@relayer.test", relayed, rcpts=(USER, "bob@remote.test"), source="127.0.0.3")
        self.assertEqual(code, 250, text)

        delivered = self.wait_local_deliveries(srv, 4)
        self.assertEqual(sorted(d.get("folder") for d in delivered), ["INBOX", "Junk", "Junk", "Junk"], delivered)
        junk = self.imap_messages(srv, "Junk")
        inbox = self.imap_messages(srv, "INBOX")
        self.assertEqual(sorted(junk), ["quarantined", "relayed", "sampled"])
        self.assertEqual(sorted(inbox), ["signed"])
        self.assertRegex(" ".join(auth_results(junk["quarantined"])),
                         r"dmarc=fail header\.from=quarantined\.test policy\.dmarc=quarantine")
        # p=reject with pct=0: sampled down to quarantine (RFC 7489 6.6.4), not refused.
        self.assertRegex(" ".join(auth_results(junk["sampled"])),
                         r"dmarc=fail header\.from=sampled\.test policy\.dmarc=quarantine")
        self.assertRegex(" ".join(auth_results(inbox["signed"])), r"dmarc=pass")
        # POP3 shows INBOX only, as Dovecot does.
        self.assertEqual(list(fetch_all(srv, 1)), ["signed"])

        # The relayed recipient gets the message as it is, tagged.
        if not sink.wait_messages(1, 20):
            self.fail("the relayed copy did not arrive at the sink")
        out = sink.snapshot()[0]
        self.assertEqual(out.rcpts, ["bob@remote.test"])
        m = email.message_from_bytes(out.data, policy=email.policy.compat32)
        self.assertEqual(m["Subject"], "relayed")
        self.assertRegex(" ".join(auth_results(m)), r"dmarc=fail header\.from=quarantined\.test policy\.dmarc=quarantine")
        remote = [d for d in srv.log_events() if d.get("event") == "delivery" and d.get("rcpt") == "bob@remote.test"]
        self.assertTrue(remote and all("folder" not in d for d in remote), remote)

        # The Junk mailbox is the \Junk special-use one (RFC 6154), in LIST and LIST (SPECIAL-USE).
        c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=20)
        try:
            c.login(USER, PASSWORD)
            typ, lines = c.list()
            self.assertEqual(typ, "OK")
            self.assertRegex(b"\n".join(lines), rb"\\Junk\) \"/\" Junk")
            typ, data = c._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
            self.assertEqual(typ, "OK", data)
            typ, lines = c._untagged_response(typ, data, "LIST")
            self.assertIn(b"Junk", b"\n".join(l for l in lines if l))
            self.assertNotIn(b"INBOX", b"\n".join(l for l in lines if l))
        finally:
            c.logout()
        accepted = [d for d in srv.log_events() if d.get("event") == "accepted"]
        self.assertEqual(sorted(d.get("local_folder", "") for d in accepted), ["", "Junk", "Junk", "Junk"])
