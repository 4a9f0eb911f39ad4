"""SMTP over TLS against the real binary: STARTTLS (RFC 3207) with swaks,
openssl s_client and smtplib, implicit TLS on the smtps listener (RFC 8314),
AUTH PLAIN / LOGIN (RFC 4954), the submission rules (RFC 6409), and the
plaintext-injection defence (CVE-2011-0411).

The class server's relay_networks do not contain 127.0.0.1: relaying to a
remote domain must come from AUTH. The server's self-signed certificate
(CN = harness.HOSTNAME) is the CA every client verifies against. Failed
logins are delayed per client IP (2 s, 4 s, ...): the tests that fail on
purpose connect from their own 127.0.0.x address.
"""

import base64
import os
import re
import smtplib
import socket
import ssl
import subprocess

import harness
from harness import ServerTestCase, make_message

USER = "alice@localhost"
PASSWORD = "alice-secret-1"
OTHER = "bob@localhost"
CAROL = "carol@localhost"   # receives only the swaks STARTTLS message


def b64(s):
    return base64.b64encode(s.encode()).decode()


def plain_response(user, password, authzid=""):
    return b64("%s\0%s\0%s" % (authzid, user, password))


class SMTPS(smtplib.SMTP_SSL):
    """SMTP_SSL to 127.0.0.1 that verifies the certificate for harness.HOSTNAME
    (which does not resolve)."""

    def _get_socket(self, host, port, timeout):
        sock = socket.create_connection(("127.0.0.1", port), timeout, self.source_address)
        return self.context.wrap_socket(sock, server_hostname=harness.HOSTNAME)


class SmtpTlsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({"relay": {"relay_networks": ["192.0.2.0/24"]}})
        cls.srv.add_user(USER, PASSWORD)
        cls.srv.add_user(OTHER, "bob-secret-1")
        cls.srv.add_user(CAROL, "carol-secret-1")
        cls.cafile = os.path.join(cls.srv.data_dir, "tls", "cert.pem")

    # --- helpers ---
    def context(self):
        return ssl.create_default_context(cafile=self.cafile)

    def client(self, port, source="127.0.0.1"):
        c = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=15,
                         source_address=(source, 0))
        self.addCleanup(self.close_quietly, c)
        return c

    def tls_client(self, port, source="127.0.0.1"):
        """STARTTLS done and EHLO sent again, certificate verified."""
        c = self.client(port, source)
        c.ehlo()
        self.assertTrue(c.has_extn("starttls"), c.esmtp_features)
        code, _ = self._starttls(c)
        self.assertEqual(code, 220)
        c.ehlo()
        return c

    def _starttls(self, c):
        # smtplib.SMTP.starttls takes the server name from the host it connected to
        # (127.0.0.1): give it the certificate's name instead.
        c._host = harness.HOSTNAME
        return c.starttls(context=self.context())

    def smtps(self, source="127.0.0.1"):
        c = SMTPS(harness.HOSTNAME, self.srv.smtps_port, local_hostname="client.test", timeout=15,
                             context=self.context(), source_address=(source, 0))
        self.addCleanup(self.close_quietly, c)
        return c

    @staticmethod
    def close_quietly(c):
        try:
            c.quit()
        except Exception:
            try:
                c.close()
            except Exception:
                pass

    def stored(self, user, n):
        entries = self.srv.wait_mailbox(user, n)
        self.assertGreaterEqual(len(entries), n, "local delivery to %s" % user)
        return self.srv.mailbox_show(user, entries[n - 1][0])

    def swaks(self, *args):
        p = subprocess.run(["swaks", "--ehlo", "client.test", "--timeout", "15"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    # --- STARTTLS with real clients ---
    def test_swaks_starttls(self):
        rc, out = self.swaks("--server", "127.0.0.1:%d" % self.srv.port, "--tls",
                             "--from", "sender@example.org", "--to", CAROL)
        self.assertEqual(rc, 0, out)
        self.assertIn("TLS started with cipher TLSv1.", out)
        self.assertRegex(out, r"<~  250 2\.0\.0 Ok: queued as [0-9A-F]{16}")
        msg = self.stored(CAROL, 1)
        self.assertRegex(msg, rb"\(using TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)\)\r\n\tby "
                         + harness.HOSTNAME.encode() + rb" \(ringpost\) with ESMTPS id ")

    def test_swaks_smtps_auth_relays(self):
        rc, out = self.swaks("--server", "127.0.0.1:%d" % self.srv.smtps_port, "--tlsc",
                             "--auth", "PLAIN", "--auth-user", USER, "--auth-password", PASSWORD,
                             "--from", USER, "--to", "someone@remote.test")
        self.assertEqual(rc, 0, out)
        self.assertIn("235 2.7.0 Authentication successful", out)
        qid = re.search(r"<~  250 2\.0\.0 Ok: queued as ([0-9A-F]{16})", out).group(1)
        envelope, data = self.srv.queue_show(qid)
        self.assertIn("protocol: ESMTPSA", envelope)
        self.assertIn(b"with ESMTPSA id " + qid.encode(), data)

    def test_openssl_s_client_starttls(self):
        # -ign_eof: s_client stays until the server closes (after QUIT).
        script = b"EHLO client.test\r\nQUIT\r\n"
        p = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:%d" % self.srv.port,
                            "-CAfile", self.cafile, "-verify_hostname", harness.HOSTNAME, "-verify_return_error",
                            "-brief", "-ign_eof"], input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        out = p.stdout.decode("utf-8", "replace")
        self.assertIn("Verification: OK", out)
        self.assertRegex(out, r"Protocol version: TLSv1\.[23]")
        self.assertRegex(out, r"Ciphersuite: TLS_\w+")
        # The EHLO reply over TLS: AUTH now, STARTTLS no more.
        after = out[out.index("250-" + harness.HOSTNAME):]
        self.assertIn("250 AUTH PLAIN LOGIN", after)
        self.assertNotIn("STARTTLS", after)
        self.assertIn("221 2.0.0 Bye", after)

    def test_smtplib_starttls_login_relay_on_port_25(self):
        c = self.client(self.srv.port)
        c.ehlo()
        self.assertFalse(c.has_extn("auth"), "AUTH is not offered in clear")
        # Unauthenticated and not in relay_networks: no relaying.
        c.mail("x@example.org")
        code, _ = c.rcpt("someone@remote.test")
        self.assertEqual(code, 554)
        c.rset()
        code, _ = self._starttls(c)
        self.assertEqual(code, 220)
        c.ehlo()
        self.assertFalse(c.has_extn("starttls"))
        self.assertEqual(c.esmtp_features.get("auth", "").split(), ["PLAIN", "LOGIN"])
        c.login(USER, PASSWORD)
        qid = harness.send_on(c, "x@example.org", ["someone@remote.test"], make_message("relayed", to="someone@remote.test"))
        envelope, data = self.srv.queue_show(qid)
        self.assertIn("protocol: ESMTPSA", envelope)

    # --- implicit TLS ---
    def test_smtps_submission_adds_headers(self):
        c = self.smtps()
        c.ehlo()
        self.assertFalse(c.has_extn("starttls"))
        c.login(USER, PASSWORD)
        msg = b"From: <alice@localhost>\r\nTo: <bob@localhost>\r\nSubject: no date\r\n\r\nHello.\r\n"
        c.sendmail(USER, [OTHER], msg)
        c.quit()
        entries = self.srv.wait_mailbox(OTHER, 1)
        found = [self.srv.mailbox_show(OTHER, mid) for mid, _ in entries]
        stored = next((m for m in found if b"Subject: no date" in m), None)
        self.assertIsNotNone(stored, found)
        self.assertIn(b"with ESMTPSA id ", stored)
        self.assertIn(b"(using TLSv1.", stored)
        head = stored.split(b"\r\n\r\n", 1)[0]
        self.assertRegex(head, rb"\r\nDate: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n")
        self.assertRegex(head, rb"\r\nMessage-ID: <\d+\.[0-9A-F]{16}@" + harness.HOSTNAME.encode() + rb">\r\n")

    # --- submission rules ---
    def test_submission_auth_plain_and_login(self):
        c = self.tls_client(self.srv.submission_port)
        code, text = c.docmd("AUTH", "PLAIN " + plain_response(USER, PASSWORD))
        self.assertEqual((code, text), (235, b"2.7.0 Authentication successful"))
        c.quit()

        c = self.tls_client(self.srv.submission_port)
        code, text = c.docmd("AUTH", "LOGIN")
        self.assertEqual((code, text), (334, b"VXNlcm5hbWU6"))
        code, text = c.docmd(b64(USER))
        self.assertEqual((code, text), (334, b"UGFzc3dvcmQ6"))
        code, text = c.docmd(b64(PASSWORD))
        self.assertEqual(code, 235, text)
        # Relaying anywhere once authenticated.
        qid = harness.send_on(c, USER, ["friend@remote.test"], make_message("out", sender=USER, to="friend@remote.test"))
        self.assertTrue(qid)

    def test_submission_wrong_password(self):
        c = self.tls_client(self.srv.submission_port, source="127.0.0.21")
        code, text = c.docmd("AUTH", "PLAIN " + plain_response(USER, "wrong-password"))
        self.assertEqual((code, text), (535, b"5.7.8 Error: authentication failed"))
        code, _ = c.docmd("MAIL", "FROM:<%s>" % USER)
        self.assertEqual(code, 530)

    def test_submission_auth_needs_tls(self):
        c = self.client(self.srv.submission_port)
        c.ehlo()
        self.assertTrue(c.has_extn("starttls"))
        self.assertFalse(c.has_extn("auth"))
        code, text = c.docmd("AUTH", "PLAIN " + plain_response(USER, PASSWORD))
        self.assertEqual(code, 538, text)
        self.assertTrue(text.startswith(b"5.7.11 "), text)
        code, _ = c.docmd("MAIL", "FROM:<%s>" % USER)
        self.assertEqual(code, 530)

    def test_submission_mail_before_auth_and_sender_mismatch(self):
        c = self.tls_client(self.srv.submission_port)
        code, text = c.docmd("MAIL", "FROM:<%s>" % USER)
        self.assertEqual((code, text), (530, b"5.7.0 Authentication required"))
        c.login(USER, PASSWORD)
        code, text = c.docmd("MAIL", "FROM:<%s>" % OTHER)
        self.assertEqual(code, 553, text)
        self.assertTrue(text.startswith(b"5.7.1 "), text)
        code, _ = c.docmd("MAIL", "FROM:<%s>" % USER.upper())
        self.assertEqual(code, 250)

    # --- attacks ---
    def test_starttls_pipelined_plaintext_is_discarded(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=15)
        self.addCleanup(s.close)
        f = s.makefile("rb")

        def reply(stream):
            lines = []
            while True:
                line = stream.readline()
                self.assertTrue(line, "connection closed; got %r" % lines)
                lines.append(line)
                if line[3:4] == b" ":
                    return lines

        self.assertTrue(reply(f)[0].startswith(b"220 "))
        s.sendall(b"EHLO client.test\r\n")
        reply(f)
        s.sendall(b"STARTTLS\r\nRSET\r\n")   # one write: the RSET is injected plaintext
        self.assertEqual(reply(f), [b"220 2.0.0 Ready to start TLS\r\n"])
        f.close()
        t = self.context().wrap_socket(s, server_hostname=harness.HOSTNAME)
        tf = t.makefile("rb")
        t.sendall(b"EHLO again.test\r\n")
        first = reply(tf)
        self.assertTrue(first[0].startswith(b"250-" + harness.HOSTNAME.encode()),
                        "the first reply over TLS answers our EHLO, not the injected RSET: %r" % first)
        t.sendall(b"QUIT\r\n")
        self.assertTrue(reply(tf)[0].startswith(b"221 "))
        self.assertTrue(self.srv.wait_log(lambda e: e.get("event") == "starttls_pipelined" and e.get("bytes") == "6"))

    def test_garbage_handshakes(self):
        # Plain SMTP on the smtps port, then junk after STARTTLS: the server
        # hangs up on both and keeps serving.
        s = socket.create_connection(("127.0.0.1", self.srv.smtps_port), timeout=15)
        s.sendall(b"EHLO client.test\r\n" + os.urandom(300))
        s.settimeout(10)
        try:
            while s.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()

        r = harness.RawSMTP("127.0.0.1", self.srv.port, timeout=15)
        self.addCleanup(r.close)
        r.read_reply()
        r.send(b"STARTTLS\r\n")
        self.assertEqual(r.read_reply().code, 220)
        r.send(b"\x16\x03\x01\x00\x05hello" + b"\x00" * 64)
        r.sock.settimeout(10)
        try:
            while r.sock.recv(4096):
                pass
        except (ConnectionResetError, socket.timeout):
            pass

        c = self.smtps()
        self.assertEqual(c.noop()[0], 250)
        self.assertTrue(self.srv.running())
