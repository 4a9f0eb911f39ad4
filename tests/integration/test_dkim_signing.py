"""DKIM signing at acceptance ([dkim], docs/DKIM.md), checked the way a
receiver checks it: the message that arrives at the next hop -- a Python
sink, or a real Postfix relaying to it -- is verified by an independent
verifier (dkimpy, Debian python3-dkim) that fetches the public keys from
DNS (dnsmasq on loopback serving the TXT records `ringpost dkim keygen`
printed). Covers: an Ed25519 and an RSA-2048 signature side by side, the
From: subdomain rule, 8-bit bodies, long folded headers and line-end edges,
the trust rule (mail from outside relay_networks is never signed), signing
domains per submission login, `sign = "authenticated"`, a missing key
failing the start with a message that names it, and X-Ringpost-Pool
removed before signing (docs/BULK.md)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness
from delivery_base import DeliveryTestCase
from postfix_peer import PostfixPeer, postfix_missing

SYSTEM_PYTHON = "/usr/bin/python3"   # dkimpy is a Debian package, not in a virtualenv
VERIFY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dkim_verify.py")

# (domain, selector, type): the keys generated for the whole class.
KEYS = [("example.test", "ed", "ed25519"), ("example.test", "rsa", "rsa"), ("esp.test", "esp", "ed25519")]


def record_of(output):
    line = [l for l in output.splitlines() if "._domainkey." in l][0]
    return "".join(re.findall(r'"([^"]*)"', line))


class DkimSigningTest(DeliveryTestCase):

    @classmethod
    def setUpClass(cls):
        try:
            have = subprocess.run([SYSTEM_PYTHON, "-c", "import dkim, nacl, dns.resolver"],
                                  capture_output=True).returncode == 0
        except OSError:
            have = False
        if not have:
            harness.missing_dependency(None, "python3-dkim / python3-nacl (dkimpy) for " + SYSTEM_PYTHON)
        cls.key_dir = tempfile.mkdtemp(prefix="ringpost-it-dkimkeys-")
        cls.addClassCleanup(shutil.rmtree, cls.key_dir, True)
        txt = {}
        for domain, selector, kind in KEYS:
            out = os.path.join(cls.key_dir, domain, selector + ".pem")
            p = subprocess.run([harness.ringpost_bin(), "dkim", "keygen", domain, selector, "--type", kind,
                                "--out", out], capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            txt["%s._domainkey.%s" % (selector, domain)] = record_of(p.stdout)
        cls.ZONE = dict(mx=[("example.net", "mx.example.net", 10)], hosts={"mx.example.net": ["127.0.0.1"]},
                        txt=txt, zones=("test", "net"))
        super().setUpClass()

    def signing_server(self, dkim=None, config=None, users=()):
        d = {"key_dir": self.key_dir, "domains": {"example.test": ["ed", "rsa"], "esp.test": ["esp"]}}
        d.update(dkim or {})
        return self.delivery_server(config=harness.merge({"dkim": d}, config or {}), users=users)

    def verify(self, messages):
        """dkimpy's verdict on each message: a list of signatures per message."""
        files = []
        for i, data in enumerate(messages):
            path = os.path.join(self.key_dir, "check-%s-%d.eml" % (self.id().split(".")[-1], i))
            with open(path, "wb") as f:
                f.write(data)
            files.append(path)
        p = subprocess.run([SYSTEM_PYTHON, VERIFY, self.dns.address] + files, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [json.loads(l) for l in p.stdout.splitlines()]

    def arrived(self, sink, n):
        return [m.data for m in self.wait_sink(sink, n)]

    def assertSignedBy(self, data, expected, what=""):
        """expected: [(d, s, a)] in order; every signature must verify."""
        sigs = self.verify([data])[0]
        self.assertEqual([(s["d"], s["s"], s["a"]) for s in sigs], expected,
                         "signatures of %s:\n%r\n%s" % (what, sigs, data[:600].decode("utf-8", "replace")))
        for s in sigs:
            self.assertTrue(s["ok"], "signature %s/%s of %s does not verify: %s\n%s"
                            % (s["d"], s["s"], what, s["why"], data.decode("utf-8", "replace")[:3000]))
        return sigs

    BOTH = [("example.test", "ed", "ed25519-sha256"), ("example.test", "rsa", "rsa-sha256")]

    def test_trusted_mail_is_signed_with_every_key_of_its_from_domain(self):
        sink = self.start_sink("127.0.0.1")
        srv = self.signing_server()
        msg = harness.make_message("signed", sender="news@mail.example.test", to="bob@example.net")
        srv.send("news@mail.example.test", ["bob@example.net"], msg)
        data = self.arrived(sink, 1)[0]
        sigs = self.assertSignedBy(data, self.BOTH, "mail From a subdomain of example.test")
        self.assertIn("from:from", sigs[0]["h"], "From is signed one more time than it occurs")
        self.assertTrue(data.startswith(b"DKIM-Signature: "), "the signatures come first")

    def test_the_pool_header_is_removed_before_signing(self):
        # X-Ringpost-Pool in h=: had it been signed and then removed, the signatures would break.
        sink = self.start_sink("127.0.0.1")
        egress = {"sources": {"s3": {"address": "127.0.0.3", "ehlo": "mta3.example.test"}},
                  "pools": {"vip": {"sources": ["s3"]}}}
        srv = self.signing_server(dkim={"headers": ["From", "Subject", "X-Ringpost-Pool"]}, config={"egress": egress})
        msg = harness.make_message("pooled", sender="news@example.test", to="bob@example.net",
                                   extra_headers=["X-Ringpost-Pool: vip"])
        srv.send("news@example.test", ["bob@example.net"], msg)
        m = self.wait_sink(sink, 1)[0]
        self.assertNotIn(b"\nx-ringpost-pool:", b"\n" + m.data.lower(), "the header never leaves the server")
        self.assertSignedBy(m.data, self.BOTH, "mail whose X-Ringpost-Pool was removed")
        self.assertEqual(sink.origin_of(m), ("127.0.0.3", "mta3.example.test"), "pool vip's source")

    def test_edge_cases_verify_after_relaying(self):
        sink = self.start_sink("127.0.0.1")
        srv = self.signing_server()
        to_list = ", ".join("Recipient %d <r%d@example.net>" % (i, i) for i in range(60))
        cases = {
            "8bit": ("From: Jörg <j@example.test>\r\nTo: bob@example.net\r\nSubject: Grüße\r\n"
                     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\nÜmlaute und ß, 日本語\r\n").encode(),
            "long": ("From: j@example.test\r\nTo: %s\r\nSubject: %s\r\n\r\nlong headers\r\n"
                     % (to_list, "word " * 180)).encode(),
            "lines": (b"From: j@example.test\r\nTo: bob@example.net\r\nSubject:   spaced \t out  \r\n\r\n"
                      b"trailing blanks   \r\n\r\n.leading dot\r\n..two dots\r\n\ttab line\r\n\r\n\r\n\r\n"),
            "empty-body": b"From: j@example.test\r\nTo: bob@example.net\r\nSubject: nothing\r\n\r\n",
            "no-body-separator": b"From: j@example.test\r\nTo: bob@example.net\r\nSubject: headers only\r\n",
        }
        for name, data in cases.items():
            options = ["BODY=8BITMIME"] if name == "8bit" else []
            srv.send("j@example.test", ["bob@example.net"], data, mail_options=options)
        arrived = self.arrived(sink, len(cases))
        self.assertEqual(len(arrived), len(cases))
        for data, sigs in zip(arrived, self.verify(arrived)):
            self.assertEqual([(s["d"], s["s"], s["a"]) for s in sigs], self.BOTH, data[:300])
            self.assertTrue(all(s["ok"] for s in sigs), "%r\n%s" % (sigs, data.decode("utf-8", "replace")[:2000]))

    def test_mail_from_outside_relay_networks_or_other_domains_is_not_signed(self):
        sink = self.start_sink("127.0.0.1")
        srv = self.signing_server(config={"relay": {"relay_networks": ["127.0.0.1/32"]}}, users=["alice@local.test"])
        # From 127.0.0.2: not trusted, even with a From: of a signing domain.
        c = harness.RawSMTP("127.0.0.1", srv.port, timeout=10, source="127.0.0.2")
        self.assertEqual(c.read_reply().code, 220)
        for cmd, code in (("EHLO outside.test", 250), ("MAIL FROM:<spoof@example.test>", 250),
                          ("RCPT TO:<alice@local.test>", 250), ("DATA", 354)):
            self.assertEqual(c.cmd(cmd).code, code, c.transcript())
        c.send(b"From: ceo@example.test\r\nTo: alice@local.test\r\nSubject: spoofed\r\n\r\nhi\r\n.\r\n")
        self.assertEqual(c.read_reply().code, 250, c.transcript())
        c.cmd("QUIT")
        entries = srv.wait_mailbox("alice@local.test", 1)
        stored = srv.mailbox_show("alice@local.test", entries[0][0])
        self.assertNotIn(b"DKIM-Signature", stored, "mail from an untrusted client must not be signed")
        # Trusted, but From a domain without keys: passes unsigned.
        srv.send("x@other.test", ["bob@example.net"], harness.make_message("other", sender="x@other.test"))
        data = self.arrived(sink, 1)[0]
        self.assertNotIn(b"DKIM-Signature", data)

    def test_submission_login_signs_as_its_configured_domain(self):
        sink = self.start_sink("127.0.0.1")
        srv = self.signing_server(dkim={"sign": "authenticated", "users": {"carol@customer.test": "esp.test"}},
                                  config={"smtp": {"allow_plaintext_auth": True},
                                          "submission": {"require_sender_match": False}},
                                  users=["carol@customer.test"])
        c = srv.smtp()
        c.login("carol@customer.test", "test-password-1")
        harness.send_on(c, "carol@customer.test", ["bob@example.net"],
                        harness.make_message("esp", sender="carol@customer.test", to="bob@example.net"))
        c.quit()
        # Not authenticated: with sign = "authenticated" a relay_networks client is not signed.
        srv.send("j@example.test", ["bob@example.net"], harness.make_message("unsigned", sender="j@example.test"))
        arrived = self.arrived(sink, 2)
        signed = [d for d in arrived if b"Subject: esp" in d][0]
        unsigned = [d for d in arrived if b"Subject: unsigned" in d][0]
        self.assertSignedBy(signed, [("esp.test", "esp", "ed25519-sha256")], "carol's mail")
        self.assertNotIn(b"DKIM-Signature", unsigned)

    def test_a_missing_key_stops_the_start_naming_it(self):
        srv2 = self.start_server({"dkim": {"key_dir": self.key_dir, "domains": {"example.test": ["nosuch"]}}},
                                 start=False)
        with self.assertRaises(harness.ServerError) as ctx:
            srv2.start()
        srv2.expect_running = False   # refusing to start is what is tested
        self.assertIn("selector nosuch", str(ctx.exception))
        self.assertIn("ringpost dkim keygen example.test nosuch", str(ctx.exception))

    def test_signatures_survive_a_real_postfix(self):
        why = postfix_missing()
        if why:
            harness.missing_dependency(self, why)
        sink = self.start_sink("127.0.0.1")
        pf = PostfixPeer(relay={"example.net": "127.0.0.1:%d" % self.remote_port})
        self.addCleanup(pf.stop)
        pf.start()
        srv = self.signing_server(config={"delivery": {"routes": {"example.net": "127.0.0.1:%d" % pf.port}}})
        sent = [
            harness.make_message("via postfix", sender="j@example.test", to="bob@example.net"),
            ("From: Jörg <j@example.test>\r\nTo: bob@example.net\r\nSubject: 8-bit via postfix\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\nGrüße aus dem Süden\r\n").encode(),
        ]
        srv.send("j@example.test", ["bob@example.net"], sent[0])
        srv.send("j@example.test", ["bob@example.net"], sent[1], mail_options=["BODY=8BITMIME"])
        if not sink.wait_messages(2, 30):
            self.fail("postfix did not pass both messages on:\n" + pf.log_tail())
        arrived = [m.data for m in sink.snapshot()]
        for data in arrived:
            self.assertIn(b"postfix.ringpost.test", data, "the message went through Postfix")
            self.assertSignedBy(data, self.BOTH, "mail relayed by Postfix")


if __name__ == "__main__":
    unittest.main()
