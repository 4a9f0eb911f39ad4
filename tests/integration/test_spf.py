"""SPF checks at the end of DATA and the Authentication-Results field
([inbound], docs/INBOUND.md), against SPF records that dnsmasq serves on
loopback: ip4, -all, ~all, an include chain, redirect, a and mx, an
exists: macro on %{i}, a record over the 10-lookup limit (permerror), a
domain whose server refuses to answer (dnsmasq REFUSED outside its zones:
temperror), none, and the null sender's HELO identity. Mail comes from
127.0.0.1 and 127.0.0.2 (smtplib bound to the source address) to a local
mailbox and is read back over POP3. Each scenario's result is cross-checked
with pyspf (Debian python3-spf), an independent implementation asking the
same dnsmasq. Also: forged Authentication-Results with our authserv-id are
removed, others kept; reject mode answers 550 5.7.23 with the exp= text;
temperror can answer 451 4.4.3; trusted (relay_networks) mail is not checked."""

import email
import email.policy
import json
import poplib
import smtplib
import subprocess
import unittest

import harness
from harness import HOSTNAME, ServerTestCase
from dns_server import DnsServer

SYSTEM_PYTHON = "/usr/bin/python3"   # pyspf is a Debian package, not in a virtualenv
CHECK = __file__.rsplit("/", 1)[0] + "/spf_check.py"
USER = "alice@local.test"
PASSWORD = "test-password-1"

TXT = {
    "pass.test": "v=spf1 ip4:127.0.0.1 -all",
    "fail.test": "v=spf1 -all",
    "soft.test": "v=spf1 ~all",
    "incl.test": "v=spf1 include:inc1.test -all",
    "inc1.test": "v=spf1 include:inc2.test ~all",
    "inc2.test": "v=spf1 ip4:127.0.0.2 -all",
    "redir.test": "v=spf1 redirect=pass.test",
    "a.test": "v=spf1 a:host.a.test -all",
    "mx.test": "v=spf1 mx -all",
    "macro.test": "v=spf1 exists:%{i}._spf.%{d} -all",
    "many.test": "v=spf1 " + " ".join("a:h%d.many.test" % i for i in range(1, 12)) + " -all",
    "exp.test": "v=spf1 -all exp=why.exp.test",
    "why.exp.test": "%{i} may not send mail for %{d}",
}
HOSTS = dict({"host.a.test": ["127.0.0.2"], "mail.mx.test": ["127.0.0.1"], "127.0.0.1._spf.macro.test": ["127.0.0.2"]},
             **{"h%d.many.test" % i: ["127.0.0.9"] for i in range(1, 12)})

# (subject, client address, MAIL FROM, EHLO name, expected result)
SCENARIOS = [
    ("ip4-pass", "127.0.0.1", "a@pass.test", "client.test", "pass"),
    ("ip4-fail", "127.0.0.2", "a@pass.test", "client.test", "fail"),
    ("all-fail", "127.0.0.1", "a@fail.test", "client.test", "fail"),
    ("softfail", "127.0.0.1", "a@soft.test", "client.test", "softfail"),
    ("include-pass", "127.0.0.2", "a@incl.test", "client.test", "pass"),
    ("include-fail", "127.0.0.1", "a@incl.test", "client.test", "fail"),
    ("redirect", "127.0.0.1", "a@redir.test", "client.test", "pass"),
    ("a-pass", "127.0.0.2", "a@a.test", "client.test", "pass"),
    ("a-fail", "127.0.0.1", "a@a.test", "client.test", "fail"),
    ("mx-pass", "127.0.0.1", "a@mx.test", "client.test", "pass"),
    ("macro-pass", "127.0.0.1", "a@macro.test", "client.test", "pass"),
    ("macro-fail", "127.0.0.2", "a@macro.test", "client.test", "fail"),
    ("too-many", "127.0.0.1", "a@many.test", "client.test", "permerror"),
    ("no-answer", "127.0.0.1", "a@unreachable.invalid", "client.test", "temperror"),
    ("no-record", "127.0.0.1", "a@none.test", "client.test", "none"),
    ("null-sender", "127.0.0.1", "", "pass.test", "pass"),
]


def send(srv, source, sender, helo, subject, extra_headers=()):
    """One message to USER from `source`; returns the SMTP reply to the data (code, text)."""
    c = smtplib.SMTP("127.0.0.1", srv.port, local_hostname=helo, timeout=20, source_address=(source, 0))
    try:
        msg = harness.make_message(subject, sender=sender or "mailer-daemon@pass.test", to=USER,
                                   extra_headers=extra_headers)
        c.ehlo()
        code, text = c.mail(sender)
        assert code == 250, (code, text)
        code, text = c.rcpt(USER)
        assert code == 250, (code, text)
        code, text = c.data(msg)
        return code, text.decode("utf-8", "replace")
    finally:
        try:
            c.quit()
        except Exception:
            c.close()


def fetch_all(srv, n):
    """{Subject: message} of the first n messages in USER's mailbox, over POP3."""
    entries = srv.wait_mailbox(USER, n, timeout=20)
    assert len(entries) >= n, "%d of %d messages arrived" % (len(entries), n)
    p = poplib.POP3("127.0.0.1", srv.pop3_port, timeout=20)
    try:
        p.user(USER)
        p.pass_(PASSWORD)
        out = {}
        for i in range(1, len(p.list()[1]) + 1):
            data = b"\r\n".join(p.retr(i)[1]) + b"\r\n"
            m = email.message_from_bytes(data, policy=email.policy.compat32)
            out[m["Subject"]] = m
        return out
    finally:
        p.quit()


def auth_results(m):
    """The Authentication-Results fields of a message, unfolded."""
    return [" ".join(v.split()) for v in m.get_all("Authentication-Results", [])]


class SpfTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            have = subprocess.run([SYSTEM_PYTHON, "-c", "import spf, dns.resolver"], capture_output=True).returncode == 0
        except OSError:
            have = False
        if not have:
            harness.missing_dependency(None, "python3-spf (pyspf) for " + SYSTEM_PYTHON)
        cls.dns = DnsServer(txt=TXT, hosts=HOSTS, mx=[("mx.test", "mail.mx.test", 10)]).start()
        cls.addClassCleanup(cls.dns.cleanup)

    def server(self, inbound, relay_networks=("127.0.0.3/32",)):
        # SPF alone: DKIM and DMARC have their own module (test_inbound_auth).
        srv = self.start_server({"relay": {"relay_networks": list(relay_networks)},
                                 "delivery": {"dns_servers": [self.dns.address]},
                                 "inbound": dict({"dkim": "off", "dmarc": "off"}, **inbound)})
        srv.add_user(USER, PASSWORD)
        return srv

    def test_results_match_pyspf_and_are_in_the_header_and_log(self):
        srv = self.server({"spf": "tag"})
        for subject, source, sender, helo, _ in SCENARIOS:
            code, text = send(srv, source, sender, helo, subject)
            self.assertEqual(code, 250, "%s: %s" % (subject, text))
        p = subprocess.run([SYSTEM_PYTHON, CHECK, self.dns.address], capture_output=True, text=True, timeout=60,
                           input=json.dumps([[s[1], s[2], s[3]] for s in SCENARIOS]))
        self.assertEqual(p.returncode, 0, p.stderr)
        pyspf = json.loads(p.stdout)
        messages = fetch_all(srv, len(SCENARIOS))
        logged = {e["qid"]: e.get("spf") for e in srv.log_events("accepted")}
        for (subject, _, sender, helo, expected), theirs in zip(SCENARIOS, pyspf):
            self.assertEqual(theirs, expected, "pyspf on %s" % subject)
            fields = auth_results(messages[subject])
            self.assertEqual(len(fields), 1, "%s: %r" % (subject, fields))
            identity = "smtp.helo=" + helo if not sender else "smtp.mailfrom=" + sender
            self.assertTrue(fields[0].startswith("%s; spf=%s " % (HOSTNAME, expected)), "%s: %r" % (subject, fields))
            self.assertIn(identity, fields[0])
        self.assertIn('reason="more than 10 DNS lookups"', auth_results(messages["too-many"])[0])
        self.assertEqual(sorted(v for v in logged.values()), sorted(s[4] for s in SCENARIOS))

    def test_forged_fields_with_our_id_are_removed(self):
        srv = self.server({"spf": "tag"})
        forged = ["Authentication-Results: %s; spf=pass smtp.mailfrom=a@fail.test" % HOSTNAME.upper(),
                  "Authentication-Results: (hi) %s;\r\n\tdkim=pass header.d=fail.test" % HOSTNAME,
                  "Authentication-Results: other.example; spf=pass smtp.mailfrom=a@fail.test"]
        self.assertEqual(send(srv, "127.0.0.1", "a@fail.test", "client.test", "forged", forged)[0], 250)
        fields = auth_results(fetch_all(srv, 1)["forged"])
        self.assertEqual(fields, ["%s; spf=fail smtp.mailfrom=a@fail.test" % HOSTNAME,
                                  "other.example; spf=pass smtp.mailfrom=a@fail.test"])
        self.assertTrue(srv.log_events("forged_auth_results"))

    def test_reject_mode_and_trusted_clients(self):
        srv = self.server({"spf": "reject", "spf_temperror": "tempfail", "authserv_id": "spf.example"})
        code, text = send(srv, "127.0.0.1", "a@exp.test", "client.test", "exp")
        self.assertEqual((code, text), (550, "5.7.23 127.0.0.1 may not send mail for exp.test"))
        code, text = send(srv, "127.0.0.1", "a@fail.test", "client.test", "fail")
        self.assertEqual((code, text), (550, "5.7.23 SPF check failed"))
        code, text = send(srv, "127.0.0.1", "a@unreachable.invalid", "client.test", "temp")
        self.assertEqual(code, 451, text)
        self.assertTrue(text.startswith("4.4.3 "), text)
        # permerror is tagged, not refused; trusted mail is not checked and keeps its fields.
        self.assertEqual(send(srv, "127.0.0.1", "a@many.test", "client.test", "perm")[0], 250)
        mine = ["Authentication-Results: spf.example; spf=pass smtp.mailfrom=a@fail.test"]
        self.assertEqual(send(srv, "127.0.0.3", "a@fail.test", "client.test", "trusted", mine)[0], 250)
        messages = fetch_all(srv, 2)
        self.assertTrue(auth_results(messages["perm"])[0].startswith("spf.example; spf=permerror"))
        self.assertEqual(auth_results(messages["trusted"]), ["spf.example; spf=pass smtp.mailfrom=a@fail.test"])


if __name__ == "__main__":
    unittest.main()
