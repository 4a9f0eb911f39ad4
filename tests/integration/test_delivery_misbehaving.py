"""Delivery to servers that answer wrongly (issue 10, item 2), each played by a ScriptedServer behind a static
route: a 250 to DATA, a stray reply line that shifts the pipelined replies, a reply of the wrong class for its
command, a refused RSET on a reused connection, a connection closed right after 354. None of them may turn into
"delivered"; the recipients are deferred (or failed only by a 5xx to their own transaction)."""

import time

import harness
from harness import make_message
from delivery_base import DeliveryTestCase, SETTLE
from scripted_server import ScriptedServer
from sink import free_port_on

GREETING = ("send", "220 scripted.test ESMTP")
EHLO_PLAIN = [("expect", "EHLO"), ("send", "250-scripted.test", "250 8BITMIME")]
EHLO_PIPELINING = [("expect", "EHLO"), ("send", "250-scripted.test", "250-8BITMIME", "250 PIPELINING")]
EHLO_CHUNKING = [("expect", "EHLO"), ("send", "250-scripted.test", "250-PIPELINING", "250 CHUNKING")]
PIPELINED_COMMANDS = [("expect", "MAIL"), ("expect", "RCPT"), ("expect", "DATA")]


class MisbehavingServerTest(DeliveryTestCase):
    ZONE = {}

    def scripted(self, script):
        port = free_port_on(["127.0.0.1"])
        srv = ScriptedServer("127.0.0.1", port, [GREETING] + script)
        self.addCleanup(srv.stop)
        srv.start()
        self.scripts = getattr(self, "scripts", []) + [srv]
        return srv

    def server_diagnostics(self):
        return "\n".join([super().server_diagnostics()] + [s.describe() for s in getattr(self, "scripts", [])])

    def ringpost_to(self, script_server, **delivery):
        d = {"routes": {"bad.test": "[127.0.0.1]:%d" % script_server.port}, "retry_schedule": ["1h"]}
        d.update(delivery)
        return self.delivery_server(delivery=d)

    def assert_deferred_not_delivered(self, srv, qid, rcpt, reply_has=None):
        ev = self.wait_delivery(srv, qid, rcpt, "deferred")
        self.assertTrue(ev.get("dsn", "").startswith("4."), ev)
        if reply_has:
            self.assertIn(reply_has, ev.get("reply", ""), ev)
        time.sleep(SETTLE / 3)
        others = [d for d in srv.delivery_events(qid, rcpt) if d.get("result") != "deferred"]
        self.assertEqual(others, [], "%s may only be deferred" % rcpt)
        ok, entries = srv.wait_queue(lambda es: any(e["qid"] == qid and e["attempts"] for e in es), timeout=5)
        self.assertTrue(ok, "the message stays queued for a retry: %r" % [e["line"] for e in entries])
        return ev

    def send_one(self, srv, rcpt="u@bad.test"):
        return srv.send("a@example.org", [rcpt], make_message("misbehaving", ["body"], to=rcpt))

    # --- DATA answered with something other than 354 ---

    def test_250_to_data_is_not_delivery(self):
        script = self.scripted(EHLO_PLAIN + [
            ("expect", "MAIL"), ("send", "250 2.1.0 ok"),
            ("expect", "RCPT"), ("send", "250 2.1.5 ok"),
            ("expect", "DATA"), ("send", "250 2.0.0 Ok: queued"),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        self.assert_deferred_not_delivered(srv, qid, "u@bad.test", "protocol error")
        self.assertEqual(script.bodies, [], "the body was never sent\n" + script.describe())

    def test_250_to_pipelined_data_is_not_delivery(self):
        script = self.scripted(EHLO_PIPELINING + PIPELINED_COMMANDS + [
            ("send", "250 2.1.0 ok", "250 2.1.5 ok", "250 2.0.0 Ok: queued"),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        self.assert_deferred_not_delivered(srv, qid, "u@bad.test", "protocol error")
        self.assertEqual(script.bodies, [], script.describe())

    def test_4xx_and_5xx_to_data_by_class(self):
        script = self.scripted(EHLO_PLAIN + [
            ("expect", "MAIL"), ("send", "250 2.1.0 ok"),
            ("expect", "RCPT"), ("send", "250 2.1.5 ok"),
            ("expect", "DATA"), ("send", "554 5.7.1 not from you"),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        ev = self.wait_delivery(srv, qid, "u@bad.test", "failed")
        self.assertIn("554", ev.get("reply", ""), ev)
        self.assertEqual(script.bodies, [], script.describe())

    # --- stray replies shift the matching ---

    def test_stray_reply_in_front_of_pipelined_replies(self):
        script = self.scripted(EHLO_PIPELINING + PIPELINED_COMMANDS + [
            ("send", "250 2.0.0 stray", "250 2.1.0 ok", "250 2.1.5 ok", "354 go ahead"),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        self.assert_deferred_not_delivered(srv, qid, "u@bad.test", "protocol error")
        self.assertEqual(script.bodies, [], script.describe())

    def test_stray_reply_shifts_the_bdat_reply(self):
        script = self.scripted(EHLO_CHUNKING + [
            ("expect", "MAIL"), ("expect", "RCPT"), ("expect", "BDAT"), ("chunk",),
            ("send", "250 2.0.0 stray", "250 2.1.0 ok", "250 2.1.5 ok", "250 2.0.0 queued"),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        self.assert_deferred_not_delivered(srv, qid, "u@bad.test", "protocol error")

    # --- replies of the wrong class for their command ---

    def test_354_after_the_dot(self):
        script = self.scripted(EHLO_PLAIN + [
            ("expect", "MAIL"), ("send", "250 2.1.0 ok"),
            ("expect", "RCPT"), ("send", "250 2.1.5 ok"),
            ("expect", "DATA"), ("send", "354 go"), ("data",), ("send", "354 go on"),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        self.assert_deferred_not_delivered(srv, qid, "u@bad.test", "protocol error")

    def test_354_to_rcpt(self):
        script = self.scripted(EHLO_PLAIN + [
            ("expect", "MAIL"), ("send", "250 2.1.0 ok"),
            ("expect", "RCPT"), ("send", "354 go"),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        self.assert_deferred_not_delivered(srv, qid, "u@bad.test", "protocol error")
        self.assertEqual(script.bodies, [], script.describe())

    def test_refused_rset_on_a_reused_connection_defers(self):
        script = self.scripted(EHLO_PIPELINING + PIPELINED_COMMANDS + [
            ("send", "250 2.1.0 ok", "250 2.1.5 ok", "354 go"), ("data",), ("send", "250 2.0.0 queued"),
            ("expect", "RSET"), ("expect", "MAIL"), ("expect", "RCPT"), ("expect", "DATA"),
            ("send", "502 5.5.1 RSET not implemented", "250 2.1.0 ok", "250 2.1.5 ok", "354 go"),
        ])
        srv = self.ringpost_to(script, max_connections_per_destination=1, idle_timeout="5s")
        c = srv.smtp()
        try:
            q1 = harness.send_on(c, "a@example.org", ["one@bad.test"], make_message("1", ["x"], to="one@bad.test"))
            q2 = harness.send_on(c, "a@example.org", ["two@bad.test"], make_message("2", ["x"], to="two@bad.test"))
            c.quit()
        finally:
            c.close()
        self.wait_delivery(srv, q1, "one@bad.test", "delivered")
        self.assert_deferred_not_delivered(srv, q2, "two@bad.test", "502")
        self.assertEqual(script.connections, 1, "the second message went over the reused connection\n"
                         + script.describe())

    # --- the connection ends where the body should go ---

    def test_connection_closed_right_after_354(self):
        script = self.scripted(EHLO_PLAIN + [
            ("expect", "MAIL"), ("send", "250 2.1.0 ok"),
            ("expect", "RCPT"), ("send", "250 2.1.5 ok"),
            ("expect", "DATA"), ("send", "354 go"), ("close",),
        ])
        srv = self.ringpost_to(script)
        qid = self.send_one(srv)
        self.assert_deferred_not_delivered(srv, qid, "u@bad.test", "4.4.2")
