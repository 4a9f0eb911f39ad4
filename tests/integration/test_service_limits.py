"""Per-protocol connection limits (issue 11 item 5): an SMTP flood at
[smtp] max_connections does not lock users out of IMAP, POP3 or submission;
each of [imap], [pop3], [submission] has its own max_connections and
max_connections_per_ip, shared with its implicit-TLS listener (imaps, pop3s,
smtps), as Dovecot's per-service limits are."""

import socket
import ssl
import time

import harness
from harness import RawSMTP, ServerTestCase
from retrieval import RawImap, RawPop3
from test_fd_exhaustion import first_line
from test_limits import loopback_alias_ok

USER = "alice@localhost"
PASSWORD = "test-password-1"


def closed_soon(sock, timeout=3):
    sock.settimeout(timeout)
    try:
        while sock.recv(512):
            pass
        return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True


class ServiceLimitsTest(ServerTestCase):

    def smtp_sessions(self, srv, n, source):
        conns = []
        for i in range(n):
            c = RawSMTP("127.0.0.1", srv.port, timeout=5, source=source)
            self.addCleanup(c.close)
            self.assertReply(c.read_reply(), 220, client=c, msg="(SMTP connection %d of %d)" % (i + 1, n))
            conns.append(c)
        return conns

    def refused_line(self, port, tls=False):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.addCleanup(s.close)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
            self.addCleanup(s.close)
        line = first_line(s, 5)
        self.assertTrue(closed_soon(s), "not closed after %r" % line)
        return line

    def test_smtp_flood_leaves_imap_pop3_and_submission_open(self):
        if not all(loopback_alias_ok(a) for a in ("127.0.0.2", "127.0.0.3")):
            harness.missing_dependency(self, "cannot bind 127.0.0.2-3")
        srv = self.start_server({"smtp": {"max_connections": 5, "max_connections_per_ip": 100}})
        srv.add_user(USER, PASSWORD)
        self.smtp_sessions(srv, 5, "127.0.0.2")
        c = RawSMTP("127.0.0.1", srv.port, timeout=5, source="127.0.0.2")
        self.addCleanup(c.close)
        self.assertReply(c.read_reply(), 421, "4.7.0", client=c, msg="SMTP over its max_connections")

        # Users from another address still get in.
        imap = RawImap(srv.imap_port, timeout=15, source="127.0.0.3")
        self.addCleanup(imap.close)
        self.assertTrue(imap.greeting.raw.startswith(b"* OK"), "IMAP greeting with SMTP full: %r" % imap.greeting)
        imap.login(USER, PASSWORD)
        imap.ok("SELECT INBOX")

        pop = RawPop3(srv.pop3_port, timeout=15, source="127.0.0.3")
        self.addCleanup(pop.close)
        self.assertTrue(pop.greeting.startswith(b"+OK"), "POP3 greeting with SMTP full: %r" % pop.greeting)
        pop.login(USER, PASSWORD)

        sub = RawSMTP("127.0.0.1", srv.submission_port, timeout=5, source="127.0.0.3")
        self.addCleanup(sub.close)
        self.assertReply(sub.read_reply(), 220, client=sub, msg="submission with SMTP full")

    def test_imap_limit_is_its_own_and_shared_with_imaps(self):
        srv = self.start_server({"imap": {"max_connections": 2, "max_connections_per_ip": 100}})
        sessions = [RawImap(srv.imap_port, timeout=5) for _ in range(2)]
        for s in sessions:
            self.addCleanup(s.close)
            self.assertTrue(s.greeting.raw.startswith(b"* OK"), s.greeting)
        line = self.refused_line(srv.imap_port)
        self.assertTrue(line.startswith(b"* BYE [UNAVAILABLE]"), "third IMAP connection: %r" % line)
        line = self.refused_line(srv.imaps_port, tls=True)
        self.assertTrue(line.startswith(b"* BYE [UNAVAILABLE]"), "imaps shares [imap] limits: %r" % line)
        # Other protocols are not touched.
        self.smtp_sessions(srv, 3, None)
        pop = RawPop3(srv.pop3_port, timeout=5)
        self.addCleanup(pop.close)
        self.assertTrue(pop.greeting.startswith(b"+OK"), pop.greeting)
        # A slot freed is a slot again.
        sessions[0].ok("LOGOUT")
        sessions[0].close()
        for _ in range(30):
            try:
                again = RawImap(srv.imap_port, timeout=5)
            except EOFError:
                again = None
            if again is not None and again.greeting.raw.startswith(b"* OK"):
                self.addCleanup(again.close)
                break
            if again is not None:
                again.close()
            time.sleep(0.1)
        else:
            self.fail("no IMAP slot after a LOGOUT")

    def test_pop3_per_ip_limit(self):
        srv = self.start_server({"pop3": {"max_connections_per_ip": 1}})
        first = RawPop3(srv.pop3_port, timeout=5)
        self.addCleanup(first.close)
        self.assertTrue(first.greeting.startswith(b"+OK"), first.greeting)
        line = self.refused_line(srv.pop3_port)
        self.assertTrue(line.startswith(b"-ERR [SYS/TEMP]"), "second POP3 connection from one IP: %r" % line)
        self.assertIn(b"your address", line)

    def test_submission_limit_leaves_port_25(self):
        srv = self.start_server({"submission": {"max_connections": 1}})
        sub = RawSMTP("127.0.0.1", srv.submission_port, timeout=5)
        self.addCleanup(sub.close)
        self.assertReply(sub.read_reply(), 220, client=sub)
        line = self.refused_line(srv.submission_port)
        self.assertTrue(line.startswith(b"421 4.7.0"), "second submission connection: %r" % line)
        line = self.refused_line(srv.smtps_port, tls=True)
        self.assertTrue(line.startswith(b"421 4.7.0"), "smtps shares [submission] limits: %r" % line)
        self.smtp_sessions(srv, 3, None)
