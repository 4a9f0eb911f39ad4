"""Listening sockets: a second ringpost configured on ports that one already
serves must refuse to start. Each worker's listener carries SO_REUSEPORT, so
without a check the kernel would silently split the connections between the
two processes (seen in practice as IMAP clients greeted by the other
server)."""

import subprocess
import unittest

import harness


class SecondInstanceTest(unittest.TestCase):

    def setUp(self):
        self.first = harness.Server(name="first").start()
        self.addCleanup(self.first.cleanup)

    def start_second_on(self, key, port):
        second = harness.Server(name="second", config={"hostname": "second.ringpost.test",
                                                       key: {"listen": ["127.0.0.1:%d" % port]}})
        self.addCleanup(second.cleanup)
        second.start(wait=False)
        try:
            rc = second.proc.wait(timeout=harness.READY_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("a second ringpost on %s port %d started and is sharing it with the first:\n%s"
                      % (key, port, second.diagnostics()))
        return second, rc

    def check_refused(self, key, port):
        second, rc = self.start_second_on(key, port)
        self.assertEqual(rc, 1, second.diagnostics())
        startup = second.log_events("startup_failed")
        self.assertTrue(startup, second.diagnostics())
        self.assertIn("127.0.0.1:%d" % port, startup[0].get("error", ""))
        self.assertIn("in use", startup[0].get("error", ""))
        # The first server still answers on that port, alone.
        self.assertTrue(self.first.running())

    def test_smtp_port_in_use(self):
        self.check_refused("smtp", self.first.port)

    def test_imap_port_in_use(self):
        self.check_refused("imap", self.first.imap_port)

    def test_first_keeps_all_connections(self):
        # Every one of 20 connections is greeted by the first server: the
        # refused second one never took a share of the port.
        self.start_second_on("smtp", self.first.port)
        for _ in range(20):
            c = self.first.raw(greet=False)
            try:
                greeting = c.read_reply()
                self.assertEqual(greeting.code, 220)
                self.assertIn(harness.HOSTNAME, str(greeting))
            finally:
                c.sock.close()
