"""TLS on the mailbox front ends against the real binary: STLS (RFC 2595) and
STARTTLS (RFC 3501 6.2.1) on the plain POP3 and IMAP listeners, implicit TLS
on pop3s and imaps (RFC 8314), with openssl s_client, Python's poplib and
imaplib, and curl; the server's self-signed certificate (CN/SAN = HOSTNAME)
is the CA, so every client verifies chain and name. Also: commands pipelined
behind STLS/STARTTLS in clear are never answered (CVE-2011-0411), and junk
instead of a ClientHello on pop3s/imaps does not hurt the server."""

import imaplib
import os
import poplib
import socket
import ssl
import subprocess

from harness import HOSTNAME, ServerTestCase, make_message

PASSWORD = "tls-secret-1"


def connect_loopback(port, timeout):
    return socket.create_connection(("127.0.0.1", port), timeout)


# The clients connect to 127.0.0.1 but verify the certificate for HOSTNAME
# (self.host is what poplib and imaplib give as server_hostname).
class POP3(poplib.POP3):
    def _create_socket(self, timeout):
        return connect_loopback(self.port, timeout)


class POP3_SSL(poplib.POP3_SSL):
    def _create_socket(self, timeout):
        return self.context.wrap_socket(connect_loopback(self.port, timeout), server_hostname=self.host)


class IMAP4(imaplib.IMAP4):
    def _create_socket(self, timeout=None):
        return connect_loopback(self.port, timeout)


class IMAP4_SSL(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout=None):
        return self.ssl_context.wrap_socket(connect_loopback(self.port, timeout), server_hostname=self.host)


def read_line(sock):
    """One line in clear, byte by byte: nothing after it may be read, the
    socket goes to TLS next."""
    line = b""
    while not line.endswith(b"\r\n"):
        c = sock.recv(1)
        if not c:
            break
        line += c
    return line


def read_until_closed(sock):
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


class RetrievalTlsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        cls.ca = os.path.join(cls.srv.data_dir, "tls", "cert.pem")

    def context(self):
        return ssl.create_default_context(cafile=self.ca)

    def mailbox_with(self, user, bodies):
        """A fresh user whose INBOX holds one message per body; returns the stored messages."""
        self.srv.add_user(user, PASSWORD)
        for i, body in enumerate(bodies):
            self.srv.send("sender@example.org", [user], make_message("msg %d" % i, body, to=user))
        entries = self.srv.wait_mailbox(user, len(bodies))
        self.assertEqual(len(entries), len(bodies), "local delivery of %d messages" % len(bodies))
        return [self.srv.mailbox_show(user, mid) for mid, _ in entries]

    def closing(self, obj, how="close"):
        def close():
            try:
                getattr(obj, how)()
            except Exception:
                pass
        self.addCleanup(close)
        return obj

    def s_client(self, port, proto, commands):
        r = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-starttls", proto, "-CAfile", self.ca,
             "-verify_hostname", HOSTNAME, "-verify_return_error", "-servername", HOSTNAME, "-brief", "-crlf",
             "-ign_eof"],
            input=commands, capture_output=True, timeout=30)
        return r

    def curl(self, *args):
        return subprocess.run(
            ["curl", "-s", "-S", "--max-time", "20", "--cacert", self.ca] + list(args),
            capture_output=True, timeout=30)

    def resolve(self, port):
        return "--resolve", "%s:%d:127.0.0.1" % (HOSTNAME, port)

    # --- openssl s_client ---

    def test_openssl_s_client_starttls_pop3(self):
        r = self.s_client(self.srv.pop3_port, "pop3", b"CAPA\nQUIT\n")
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assertIn("Verification: OK", err)
        self.assertIn("Protocol version: TLSv1.3", err)
        out = r.stdout.decode(errors="replace")
        self.assertIn("+OK capability list follows", out)
        self.assertIn("\nUSER", out)
        self.assertNotIn("STLS", out, "STLS is gone once TLS is on")
        self.assertIn("+OK ringpost POP3 server signing off", out)

    def test_openssl_s_client_starttls_imap(self):
        r = self.s_client(self.srv.imap_port, "imap", b"a CAPABILITY\nb LOGOUT\n")
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assertIn("Verification: OK", err)
        self.assertIn("Protocol version: TLSv1.3", err)
        out = r.stdout.decode(errors="replace")
        caps = [l for l in out.splitlines() if l.startswith("* CAPABILITY")]
        self.assertEqual(len(caps), 1, out)
        self.assertIn("AUTH=PLAIN", caps[0])
        self.assertNotIn("STARTTLS", caps[0])
        self.assertIn("b OK LOGOUT completed", out)

    # --- POP3 ---

    def test_poplib_stls_then_login_and_retr_byte_exact(self):
        stored = self.mailbox_with("pop-stls@localhost", [["over STLS", ".dotted line"], ["second"]])
        p = self.closing(POP3(HOSTNAME, self.srv.pop3_port, timeout=15))
        caps = p.capa()
        self.assertIn("STLS", caps)
        p.stls(self.context())
        self.assertTrue(p.sock.version().startswith("TLSv1."))
        caps = p.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("USER", caps)
        p.user("pop-stls@localhost")
        p.pass_(PASSWORD)
        for i, want in enumerate(stored, start=1):
            _, lines, _ = p.retr(i)
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", want)
        p.quit()

    def test_poplib_pop3s(self):
        stored = self.mailbox_with("pop-ssl@localhost", [["over pop3s"]])
        p = self.closing(POP3_SSL(HOSTNAME, self.srv.pop3s_port, timeout=15, context=self.context()))
        self.assertTrue(p.getwelcome().startswith(b"+OK"))
        caps = p.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("USER", caps)
        p.user("pop-ssl@localhost")
        p.pass_(PASSWORD)
        _, lines, _ = p.retr(1)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", stored[0])
        p.quit()

    def test_curl_pop3_ssl_reqd_and_pop3s(self):
        stored = self.mailbox_with("pop-curl@localhost", [["fetched by curl over TLS"]])
        auth = ("-u", "pop-curl@localhost:" + PASSWORD)
        r = self.curl("--ssl-reqd", *auth, *self.resolve(self.srv.pop3_port),
                      "pop3://%s:%d/1" % (HOSTNAME, self.srv.pop3_port))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, stored[0])
        r = self.curl(*auth, *self.resolve(self.srv.pop3s_port), "pop3s://%s:%d/1" % (HOSTNAME, self.srv.pop3s_port))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, stored[0])

    def test_pop3_commands_pipelined_after_stls_are_discarded(self):
        self.srv.add_user("pop-inject@localhost", PASSWORD)
        s = self.closing(socket.create_connection(("127.0.0.1", self.srv.pop3_port), timeout=15))
        self.assertTrue(read_line(s).startswith(b"+OK"))
        s.sendall(b"STLS\r\nUSER pop-inject@localhost\r\nPASS " + PASSWORD.encode() + b"\r\n")
        self.assertEqual(read_line(s), b"+OK begin TLS negotiation\r\n")
        t = self.closing(self.context().wrap_socket(s, server_hostname=HOSTNAME))
        t.sendall(b"CAPA\r\n")
        f = t.makefile("rb")
        # The first answer over TLS is CAPA's: USER and PASS never ran.
        self.assertEqual(f.readline(), b"+OK capability list follows\r\n")
        while f.readline() not in (b".\r\n", b""):
            pass
        t.sendall(b"PASS " + PASSWORD.encode() + b"\r\n")
        self.assertEqual(f.readline(), b"-ERR send USER first\r\n")
        t.sendall(b"QUIT\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        f.close()
        logged = self.srv.wait_log(lambda e: e.get("event") == "pop3_stls_injection")
        self.assertIsNotNone(logged, "the discarded bytes are logged")
        self.assertEqual(int(logged["discarded"]), len(b"USER pop-inject@localhost\r\nPASS \r\n") + len(PASSWORD))

    def test_junk_handshake_on_pop3s_does_not_hurt_the_server(self):
        for junk in (b"USER x\r\nPASS y\r\n", b"\x16\x03\x01\x00\x05hello" + os.urandom(300),
                     b"GET / HTTP/1.0\r\n\r\n"):
            s = socket.create_connection(("127.0.0.1", self.srv.pop3s_port), timeout=15)
            try:
                s.sendall(junk)
                got = read_until_closed(s)
            finally:
                s.close()
            self.assertNotIn(b"+OK", got, "no greeting in clear on pop3s")
        p = self.closing(POP3_SSL(HOSTNAME, self.srv.pop3s_port, timeout=15, context=self.context()))
        self.assertTrue(p.getwelcome().startswith(b"+OK"))
        p.quit()
        self.assertTrue(self.srv.running())

    # --- IMAP ---

    def test_imaplib_starttls_then_login_and_fetch(self):
        stored = self.mailbox_with("imap-stls@localhost", [["over STARTTLS"]])
        m = self.closing(IMAP4(HOSTNAME, self.srv.imap_port, timeout=15), "shutdown")
        self.assertIn("STARTTLS", m.capabilities)
        m.starttls(self.context())
        # imaplib asks for the capabilities again after STARTTLS.
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        m.login("imap-stls@localhost", PASSWORD)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], stored[0])
        m.logout()

    def test_imaplib_imaps(self):
        stored = self.mailbox_with("imap-ssl@localhost", [["over imaps"]])
        m = self.closing(IMAP4_SSL(HOSTNAME, self.srv.imaps_port, ssl_context=self.context(), timeout=15),
                         "shutdown")
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        m.login("imap-ssl@localhost", PASSWORD)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], stored[0])
        m.logout()

    def test_curl_imap_ssl_reqd_and_imaps(self):
        stored = self.mailbox_with("imap-curl@localhost", [["fetched by curl over TLS"]])
        auth = ("-u", "imap-curl@localhost:" + PASSWORD)
        r = self.curl("--ssl-reqd", *auth, *self.resolve(self.srv.imap_port),
                      "imap://%s:%d/INBOX;UID=1" % (HOSTNAME, self.srv.imap_port))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, stored[0])
        r = self.curl(*auth, *self.resolve(self.srv.imaps_port),
                      "imaps://%s:%d/INBOX;UID=1" % (HOSTNAME, self.srv.imaps_port))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, stored[0])

    def test_imap_commands_pipelined_after_starttls_are_discarded(self):
        self.srv.add_user("imap-inject@localhost", PASSWORD)
        s = self.closing(socket.create_connection(("127.0.0.1", self.srv.imap_port), timeout=15))
        self.assertTrue(read_line(s).startswith(b"* OK"))
        s.sendall(b"a STARTTLS\r\nb LOGIN imap-inject@localhost " + PASSWORD.encode() + b"\r\nc NOOP\r\n")
        self.assertEqual(read_line(s), b"a OK Begin TLS negotiation now\r\n")
        t = self.closing(self.context().wrap_socket(s, server_hostname=HOSTNAME))
        t.sendall(b"d NOOP\r\n")
        f = t.makefile("rb")
        # The first answer over TLS is d's: b and c never ran.
        self.assertEqual(f.readline(), b"d OK NOOP completed\r\n")
        t.sendall(b"e SELECT INBOX\r\n")
        self.assertEqual(f.readline(), b"e BAD SELECT not allowed before login\r\n")
        t.sendall(b"f LOGOUT\r\n")
        self.assertEqual(f.readline(), b"* BYE Logging out\r\n")
        f.close()
        logged = self.srv.wait_log(lambda e: e.get("event") == "imap_starttls_injection")
        self.assertIsNotNone(logged, "the discarded bytes are logged")

    def test_junk_handshake_on_imaps_does_not_hurt_the_server(self):
        s = socket.create_connection(("127.0.0.1", self.srv.imaps_port), timeout=15)
        try:
            s.sendall(b"a LOGIN x y\r\n" + os.urandom(200))
            got = read_until_closed(s)
        finally:
            s.close()
        self.assertNotIn(b"* OK", got)
        m = self.closing(IMAP4_SSL(HOSTNAME, self.srv.imaps_port, ssl_context=self.context(), timeout=15),
                         "shutdown")
        m.logout()
        self.assertTrue(self.srv.running())
