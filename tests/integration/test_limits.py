"""Connection limits: max_connections_per_ip and max_connections (counted across all worker threads)."""

import socket
import time
import unittest

import harness
from harness import RawSMTP, ServerTestCase, loopback_alias_ok


class ConnLimitTest(ServerTestCase):

    def open_n(self, srv, n, source=None):
        conns = []
        for i in range(n):
            c = RawSMTP("127.0.0.1", srv.port, timeout=5, source=source)
            self.addCleanup(c.close)
            r = c.read_reply()
            self.assertReply(r, 220, client=c, msg="(connection %d of %d from %s)" % (i + 1, n, source or "127.0.0.1"))
            conns.append(c)
        return conns

    def expect_refused(self, srv, source=None, what=""):
        c = RawSMTP("127.0.0.1", srv.port, timeout=5, source=source)
        self.addCleanup(c.close)
        try:
            r = c.read_reply()
        except EOFError:
            self.fail("%s: closed without a 421 reply\n%s" % (what, c.transcript()))
        self.assertReply(r, 421, "4.7.0", client=c, msg=what)
        self.assertIn("too many connections", r.text.lower(), "%s: %s" % (what, r))
        self.assertClosed(c, 2, what)

    def connect_eventually(self, srv, source=None, timeout=3.0):
        """A new connection gets 220 once a slot is free (the server may need a moment to see the close)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            c = RawSMTP("127.0.0.1", srv.port, timeout=5, source=source)
            try:
                r = c.read_reply()
            except EOFError:
                r = None
            if r is not None and r.code == 220:
                self.addCleanup(c.close)
                return c
            last = c.transcript()
            c.close()
            time.sleep(0.1)
        self.fail("no 220 for a new connection within %.0fs after one was closed\n%s" % (timeout, last))

    def test_max_connections_per_ip(self):
        srv = self.start_server({"smtp": {"max_connections_per_ip": 5}})
        conns = self.open_n(srv, 5)
        self.expect_refused(srv, what="6th connection from 127.0.0.1 with max_connections_per_ip 5")
        if loopback_alias_ok("127.0.0.2"):
            other = self.open_n(srv, 1, source="127.0.0.2")[0]
            self.assertReply(other.cmd("NOOP"), 250, client=other, msg="another IP is not limited")
        # Close one: a new connection works.
        self.assertReply(conns[0].cmd("QUIT"), 221, client=conns[0])
        self.assertClosed(conns[0], 2)
        conns[0].close()
        c = self.connect_eventually(srv)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        # The others are unaffected.
        for x in conns[1:]:
            self.assertReply(x.cmd("NOOP"), 250, client=x)
        self.expect_refused(srv, what="again at the limit")

    def test_max_connections_total(self):
        if not all(loopback_alias_ok(a) for a in ("127.0.0.2", "127.0.0.3", "127.0.0.4")):
            harness.missing_dependency(self, "cannot bind 127.0.0.2-4")
        srv = self.start_server({"smtp": {"max_connections": 3, "max_connections_per_ip": 100}})
        conns = []
        for src in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
            conns += self.open_n(srv, 1, source=src)
        c = RawSMTP("127.0.0.1", srv.port, timeout=5, source="127.0.0.4")
        self.addCleanup(c.close)
        try:
            r = c.read_reply()
            self.assertEqual(r.code, 421, "4th connection with max_connections 3: %s" % r)
            self.assertClosed(c, 2, "4th connection with max_connections 3")
        except EOFError:
            pass  # closed at once is fine too
        conns[1].cmd("QUIT")
        conns[1].close()
        self.connect_eventually(srv, source="127.0.0.4")


if __name__ == "__main__":
    unittest.main()
