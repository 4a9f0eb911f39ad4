"""The server certificate is reloaded on SIGHUP without dropping sessions:
a connection made before the reload keeps working on the old certificate,
new ones get the new certificate, and a broken replacement is refused
(logged) while the last good certificate stays in use."""

import os
import signal
import socket
import ssl
import subprocess
import tempfile

import harness
from harness import ServerTestCase


def make_cert(directory, name):
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", "/CN=" + harness.HOSTNAME,
                    "-addext", "subjectAltName=DNS:" + harness.HOSTNAME, "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=30)
    with open(cert, "rb") as f:
        return cert, key, f.read()


def fingerprint_of_pem(pem):
    return ssl.PEM_cert_to_DER_cert(pem.decode())


class TlsReloadTest(ServerTestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="ringpost-tls-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.dir])
        self.cert, self.key, self.pem_a = make_cert(self.dir, "a")
        self.srv = self.start_server({"tls": {"cert": self.cert, "key": self.key}})

    def imaps(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = socket.create_connection(("127.0.0.1", self.srv.imaps_port), timeout=10)
        tls = ctx.wrap_socket(sock, server_hostname=harness.HOSTNAME)
        self.addCleanup(tls.close)
        f = tls.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))
        return tls, f

    def reload(self, event):
        self.srv.proc.send_signal(signal.SIGHUP)
        return self.srv.wait_log(lambda d: d.get("event") == event, timeout=10)

    def test_sighup_swaps_the_certificate_and_keeps_sessions(self):
        old, old_f = self.imaps()
        self.assertEqual(old.getpeercert(binary_form=True), fingerprint_of_pem(self.pem_a))

        # Replace the files in place (as certbot-style renewals do), then SIGHUP.
        _, _, pem_b = make_cert(self.dir, "b")
        os.replace(os.path.join(self.dir, "b.pem"), self.cert)
        os.replace(os.path.join(self.dir, "b.key"), self.key)
        self.reload("tls_reloaded")
        new, _ = self.imaps()
        self.assertEqual(new.getpeercert(binary_form=True), fingerprint_of_pem(pem_b))
        # The session from before the reload goes on, on its own context.
        old.sendall(b"a1 NOOP\r\n")
        self.assertEqual(old_f.readline(), b"a1 OK NOOP completed\r\n")

        # A broken replacement: refused and logged; the last good one stays.
        with open(self.cert, "w") as f:
            f.write("not a certificate\n")
        failed = self.reload("tls_reload_failed")
        self.assertIn(self.cert, failed.get("error", ""))
        third, _ = self.imaps()
        self.assertEqual(third.getpeercert(binary_form=True), fingerprint_of_pem(pem_b))
        self.assertTrue(self.srv.running())
