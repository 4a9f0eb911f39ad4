"""`ringpost dkim keygen`: the key file it writes (mode 0600, never over an
existing one, readable by OpenSSL and by an independent DKIM library) and
the TXT record it prints, checked against a signature made with that key by
dkimpy (Debian python3-dkim) and verified with that record."""

import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

import harness

SYSTEM_PYTHON = "/usr/bin/python3"   # dkimpy is a Debian package, not in a virtualenv

SIGN_AND_VERIFY = r"""
import base64, subprocess, sys, dkim
key = open(sys.argv[1], "rb").read()
if sys.argv[4] == "ed25519-sha256":
    # dkimpy takes an Ed25519 key as the base64 of its 32-byte seed: the
    # end of the PKCS#8 DER that OpenSSL reads out of the PEM file.
    der = subprocess.run(["openssl", "pkey", "-in", sys.argv[1], "-outform", "DER"],
                         capture_output=True, check=True).stdout
    key = base64.b64encode(der[-32:])
record = sys.argv[2].encode()
msg = b"From: a@example.test\r\nTo: b@example.org\r\nSubject: keygen\r\n\r\nbody\r\n"
sig = dkim.sign(msg, sys.argv[3].encode(), b"example.test", key,
                signature_algorithm=sys.argv[4].encode(), include_headers=[b"from", b"to", b"subject"])
ok = dkim.verify(sig + msg, dnsfunc=lambda name, timeout=5: record)
sys.exit(0 if ok else 1)
"""


def record_of(output):
    """The TXT value from the printed zone-file line: its strings joined."""
    line = [l for l in output.splitlines() if "._domainkey." in l][0]
    return "".join(re.findall(r'"([^"]*)"', line))


class DkimKeygenTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ringpost-it-dkim-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        with open(os.path.join(self.tmp, "ringpost.toml"), "w") as f:
            f.write('data_dir = "%s"\n' % os.path.join(self.tmp, "data"))

    def keygen(self, *args):
        argv = [harness.ringpost_bin(), "dkim", "keygen"] + list(args) + [
            "--config", os.path.join(self.tmp, "ringpost.toml")]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.tmp, timeout=60)
        return harness.CliResult(argv[1:], p.returncode, p.stdout, p.stderr)

    def sign_and_verify(self, key_path, record, selector, algorithm):
        try:
            have = subprocess.run([SYSTEM_PYTHON, "-c", "import dkim, nacl"], capture_output=True).returncode == 0
        except OSError:
            have = False
        if not have:
            harness.missing_dependency(self, "python3-dkim and python3-nacl (tools/install-deps.sh installs them)")
            return
        p = subprocess.run([SYSTEM_PYTHON, "-c", SIGN_AND_VERIFY, key_path, record, selector, algorithm],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, "dkimpy could not sign and verify with the key:\n%s" % p.stderr.decode())

    def check_key(self, r, selector, algorithm, record_start):
        self.assertEqual(r.returncode, 0, r.describe())
        path = os.path.join(self.tmp, "data", "dkim", "example.test", selector + ".pem")
        self.assertIn("wrote %s" % path, r.out)
        self.assertTrue(os.path.isfile(path), r.describe())
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        record = record_of(r.out)
        self.assertTrue(record.startswith(record_start), record)
        self.assertIn("%s._domainkey.example.test. IN TXT" % selector, r.out)
        self.sign_and_verify(path, record, selector, algorithm)

    def test_rsa_key_signs_and_its_record_verifies(self):
        r = self.keygen("example.test", "s1")
        self.check_key(r, "s1", "rsa-sha256", "v=DKIM1; k=rsa; p=MII")
        self.assertIn("2048 bits", r.out)

    def test_ed25519_key_signs_and_its_record_verifies(self):
        r = self.keygen("example.test", "e1", "--type", "ed25519")
        self.check_key(r, "e1", "ed25519-sha256", "v=DKIM1; k=ed25519; p=")

    def test_existing_key_is_never_overwritten(self):
        self.assertEqual(self.keygen("example.test", "s1", "--type", "ed25519").returncode, 0)
        path = os.path.join(self.tmp, "data", "dkim", "example.test", "s1.pem")
        before = open(path, "rb").read()
        r = self.keygen("example.test", "s1", "--type", "ed25519")
        self.assertEqual(r.returncode, 1, r.describe())
        self.assertIn("never overwritten", r.err)
        self.assertEqual(open(path, "rb").read(), before)

    def test_out_option_and_bad_arguments(self):
        out = os.path.join(self.tmp, "keys", "k.pem")
        r = self.keygen("example.test", "s9", "--type", "ed25519", "--out", out)
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertTrue(os.path.isfile(out))
        for args, needle in [(("bad domain", "s1"), "not a domain name"),
                             (("example.test", "s_1"), "not a valid selector"),
                             (("example.test", "s1", "--type", "dsa"), "--type"),
                             (("example.test", "s1", "--bits", "512"), "--bits")]:
            r = self.keygen(*args)
            self.assertEqual(r.returncode, 2, r.describe())
            self.assertIn(needle, r.err, r.describe())


if __name__ == "__main__":
    unittest.main()
