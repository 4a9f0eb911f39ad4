"""DKIM verification and DMARC at the end of DATA ([inbound] dkim, dmarc;
docs/INBOUND.md), beside SPF, in one Authentication-Results field: keys,
SPF and DMARC records served by dnsmasq on loopback; messages signed by
dkimpy (Debian python3-dkim), an independent signer. A signed message from
an aligned domain passes DKIM and DMARC; one altered after signing fails
DKIM and still passes DMARC through SPF; an unsigned message whose From
domain publishes p=reject and whose envelope sender is another domain
fails DMARC: tagged with policy.dmarc=reject, or refused with 550 5.7.1 in
reject mode; a From domain without a record gets dmarc=none."""

import base64
import os
import smtplib
import subprocess
import tempfile
import shutil

import harness
from harness import ServerTestCase
from dns_server import DnsServer
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
        }).start()
        cls.addClassCleanup(cls.dns.cleanup)

    def server(self, inbound):
        srv = self.start_server({"relay": {"relay_networks": ["127.0.0.3/32"]},
                                 "delivery": {"dns_servers": [self.dns.address]},
                                 "inbound": inbound})
        srv.add_user(USER, PASSWORD)
        return srv

    def message(self, subject, sender, signed):
        data = harness.make_message(subject, sender=sender, to=USER)
        if signed:
            data = subprocess.run([SYSTEM_PYTHON, SIGN, self.key, "sel", "signed.test"], input=data,
                                  capture_output=True, check=True).stdout
        return data

    def send(self, srv, mail_from, data):
        c = smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.test", timeout=20)
        try:
            c.ehlo()
            c.mail(mail_from)
            c.rcpt(USER)
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
        got = fetch_all(srv, 4)
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
        accepted = [d for d in srv.log_events() if d.get("event") == "accepted"]
        self.assertEqual(sorted((d.get("dkim"), d.get("dmarc")) for d in accepted),
                         sorted([("pass", "pass"), ("fail", "pass"), ("none", "fail"), ("none", "none")]))

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
