"""Delivery failures: retries, bounces (DSNs, RFC 3464) into the local sender's INBOX, NOTIFY, expiry, loops,
SMTPUTF8, and the `queue flush` / `queue bounce` commands."""

import time
import unittest

import harness
from harness import make_message
from delivery_base import DeliveryTestCase, DELIVERY_TIMEOUT, SETTLE

ZONE = dict(
    mx=[
        ("fail.test", "mx.fail.test", 10),      # default sink: DSN, no SMTPUTF8
        ("nodsn.test", "mx.nodsn.test", 10),    # sink without the DSN extension
    ],
    hosts={"mx.fail.test": ["127.0.0.2"], "mx.nodsn.test": ["127.0.0.3"]},
    null_mx=["nullmx.test"],
    # anything else under .test (e.g. nowhere.test) is NXDOMAIN
)


def send_raw(tc, srv, sender, rcpts, msg, mail_params=""):
    """One transaction over RawSMTP (UTF-8 addresses, DSN parameters); rcpts: [(address, params)]. Returns the QID."""
    c = srv.raw()
    tc.addCleanup(c.close)
    tc.assertReply(c.cmd("EHLO client.test"), 250, client=c)
    tc.assertReply(c.cmd(("MAIL FROM:<%s> %s" % (sender, mail_params)).rstrip()), 250, client=c)
    for addr, params in rcpts:
        tc.assertReply(c.cmd(("RCPT TO:<%s> %s" % (addr, params)).rstrip()), 250, client=c)
    tc.assertReply(c.cmd("DATA"), 354, client=c)
    c.send(msg.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    r = c.read_reply()
    tc.assertReply(r, 250, "2.0.0", client=c)
    c.cmd("QUIT")
    return harness.parse_qid(r.text)


class DeliveryFailureTest(DeliveryTestCase):
    ZONE = ZONE

    # --- temporary failures ---

    def test_defer_once_is_retried_and_delivered(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(users=["s1@localhost"])
        rcpt = "defer-once-1@fail.test"
        msg = make_message("defer once", ["retried"], to=rcpt)
        qid = srv.send("s1@localhost", [rcpt], msg)
        ev = self.wait_delivery(srv, qid, rcpt, "deferred")
        self.assertIn("451", ev.get("reply", ""), "the deferral logs the 451: %r" % ev)
        self.assertTrue(ev.get("dsn", "").startswith("4."), ev)
        # While it waits for the retry (1s), `queue list` gives the last error.
        seen = None
        deadline = time.monotonic() + 1.0
        while seen is None and time.monotonic() < deadline:
            seen = next((e for e in srv.queue_entries() if e["qid"] == qid and e["attempts"]), None)
        if seen is not None:
            self.assertIn("451", seen["last_error"] or "", "queue list of a deferred message: %r" % seen["line"])
        self.wait_delivery(srv, qid, rcpt, "delivered")
        m = self.wait_sink(sink, 1)[0]
        self.assertEqual(m.rcpts, [rcpt])
        self.assertEqual(harness.split_received(m.data)[1], msg)
        self.assertEqual([v for _, a, v in sink.rcpt_log if a == rcpt], ["defer", "ok"], sink.describe())
        self.assertQueueEmpty(srv)
        self.assertNoDsn(srv, qid, "s1@localhost", settle=0.5)

    def test_lost_connection_is_deferred(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"retry_schedule": ["1h"]}, users=["s2@localhost"])
        rcpt = "drop-1@fail.test"
        qid = srv.send("s2@localhost", [rcpt], make_message("dropped", ["x"], to=rcpt))
        self.wait_delivery(srv, qid, rcpt, "deferred")
        ok, entries = srv.wait_queue(lambda es: any(e["qid"] == qid and e["attempts"] for e in es), timeout=5)
        self.assertTrue(ok, "a deferred message stays queued with attempts=1: %r" % [e["line"] for e in entries])
        self.assertEqual(sink.messages, [])
        self.assertNoDsn(srv, qid, "s2@localhost", settle=0.5)

    # --- permanent failures and DSNs ---

    def test_reject_bounces_to_the_local_sender(self):
        self.start_sink("127.0.0.2")
        srv = self.delivery_server(users=["bouncer@localhost"])
        rcpt = "reject-1@fail.test"
        msg = make_message("will bounce", ["rejected by the MX"], sender="bouncer@localhost", to=rcpt)
        qid = srv.send("bouncer@localhost", [rcpt], msg)
        ev = self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertEqual(ev.get("dsn"), "5.1.1", ev)
        self.assertIn("550", ev.get("reply", ""), ev)
        dsn = self.get_dsns(srv, "bouncer@localhost", 1)[0]
        block = self.check_dsn(dsn, rcpt, "failed", "5.1.1", diagnostic="550")
        self.assertIn("smtp", block.get("diagnostic-code", "").lower(), block)
        self.assertIn(b"will bounce", dsn.original or b"", "the DSN returns the original (or its headers)\n"
                      + dsn.describe())
        d = srv.wait_log(lambda d: d.get("event") == "dsn" and d.get("qid") == qid)
        self.assertIsNotNone(d, "no 'event=dsn qid=%s' log line" % qid)
        self.assertEqual(d.get("action"), "failed", d)
        self.assertRegex(d.get("dsn_qid", ""), r"^[0-9A-F]{16}$", d)
        self.assertQueueEmpty(srv, msg="(the original and its DSN are done)")

    def test_mixed_ok_defer_reject_in_one_message(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(users=["mixed@localhost"])
        ok, defer, reject = "ok-1@fail.test", "defer-1@fail.test", "reject-2@fail.test"
        qid = srv.send("mixed@localhost", [ok, defer, reject], make_message("mixed", ["three fates"], to=ok))
        self.wait_delivery(srv, qid, ok, "delivered")
        self.wait_delivery(srv, qid, defer, "deferred")
        self.wait_delivery(srv, qid, reject, "failed")
        m = self.wait_sink(sink, 1)[0]
        self.assertEqual(m.rcpts, [ok], sink.describe())
        dsn = self.get_dsns(srv, "mixed@localhost", 1)[0]
        self.check_dsn(dsn, reject, "failed", "5.1.1", diagnostic="550")
        self.assertIsNone(dsn.recipient(ok), "the failure DSN lists only failed recipients:\n" + dsn.describe())
        self.assertIsNone(dsn.recipient(defer), "the failure DSN lists only failed recipients:\n" + dsn.describe())
        ok_, entries = srv.wait_queue(lambda es: any(e["qid"] == qid and e["last_error"] for e in es), timeout=5)
        self.assertTrue(ok_, "queue list should show %s with last_error=: %r" % (qid, [e["line"] for e in entries]))
        e = next(e for e in entries if e["qid"] == qid)
        self.assertEqual(e["rcpts"], [defer], "only the deferred recipient is pending: %r" % e["line"])
        self.assertIn("451", e["last_error"], e["line"])
        self.assertGreaterEqual(e["attempts"] or 0, 1, e["line"])
        self.assertRegex(e["next"] or "", r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["line"])
        time.sleep(SETTLE)
        self.assertEqual(len(srv.mailbox_list("mixed@localhost")), 1, "one DSN only (no delay warnings)")

    def test_nxdomain_bounces(self):
        srv = self.delivery_server(users=["nx@localhost"])
        rcpt = "someone@nowhere.test"
        qid = srv.send("nx@localhost", [rcpt], make_message("nxdomain", ["x"], to=rcpt))
        ev = self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertTrue(ev.get("dsn", "").startswith("5."), ev)
        self.check_dsn(self.get_dsns(srv, "nx@localhost", 1)[0], rcpt, "failed", "5.")
        self.assertQueueEmpty(srv)

    def test_null_mx_bounces(self):
        srv = self.delivery_server(users=["nm@localhost"])
        rcpt = "someone@nullmx.test"
        qid = srv.send("nm@localhost", [rcpt], make_message("null mx", ["x"], to=rcpt))
        self.wait_delivery(srv, qid, rcpt, "failed")
        self.check_dsn(self.get_dsns(srv, "nm@localhost", 1)[0], rcpt, "failed", "5.1.10")   # RFC 7505
        self.assertQueueEmpty(srv)

    def test_expiry_after_max_queue_lifetime(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"max_queue_lifetime": "3s", "retry_schedule": ["1s"]},
                                   users=["old@localhost"])
        rcpt = "defer-forever@fail.test"
        t0 = time.monotonic()
        qid = srv.send("old@localhost", [rcpt], make_message("expires", ["x"], to=rcpt))
        self.wait_delivery(srv, qid, rcpt, "deferred")
        ev = self.wait_delivery(srv, qid, rcpt, "failed", timeout=25)
        took = time.monotonic() - t0
        # Queue times are whole seconds: "3s" may end ~2s after the actual arrival.
        self.assertGreaterEqual(took, 1.8, "failed after %.1fs, well before max_queue_lifetime 3s" % took)
        block = self.check_dsn(self.get_dsns(srv, "old@localhost", 1)[0], rcpt, "failed", "4.4.7")
        self.assertIn("451", block.get("diagnostic-code", ""),
                      "the expiry DSN should carry the last reply (451) in Diagnostic-Code: %r" % block)
        self.assertEqual(ev.get("dsn"), "4.4.7", "the log line of the expired recipient should give its status "
                         "4.4.7 in dsn=: %r" % ev)
        self.assertEqual(sink.messages, [])
        self.assertQueueEmpty(srv)

    def test_mail_loop_bounces_5_4_6(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(users=["looper@localhost"])
        rcpt = "loop@fail.test"
        hops = b"".join(b"Received: from hop%d.test by hop%d.test; Mon, 24 Nov 2025 10:00:00 +0000\r\n" % (i, i + 1)
                        for i in range(101))
        msg = hops + make_message("looping", ["101 Received headers"], to=rcpt)
        qid = srv.send("looper@localhost", [rcpt], msg)
        ev = self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertEqual(ev.get("dsn"), "5.4.6", ev)
        self.check_dsn(self.get_dsns(srv, "looper@localhost", 1)[0], rcpt, "failed", "5.4.6")
        self.assertEqual(sink.connections, 0, "a looping message must not be sent on\n" + sink.describe())
        self.assertQueueEmpty(srv)

    def test_smtputf8_message_to_a_server_without_smtputf8(self):
        sink = self.start_sink("127.0.0.2")   # no SMTPUTF8 in its EHLO
        srv = self.delivery_server(users=["u8@localhost"])
        rcpt = "jösé@fail.test"
        msg = make_message("ünïcode", ["needs SMTPUTF8"], to=rcpt)
        qid = send_raw(self, srv, "u8@localhost", [(rcpt, "")], msg, "SMTPUTF8 BODY=8BITMIME")
        ev = self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertEqual(ev.get("dsn"), "5.6.7", ev)
        dsn = self.get_dsns(srv, "u8@localhost", 1)[0]
        self.check_dsn(dsn, rcpt, "failed", "5.6.7", report_type=("global-delivery-status", "delivery-status"))
        self.assertEqual(sink.messages, [], sink.describe())
        self.assertEqual(sink.protocol_errors, [], "no SMTPUTF8 to a server that did not offer it")
        self.assertQueueEmpty(srv)

    # --- NOTIFY ---

    def test_notify_never_sends_no_dsn(self):
        self.start_sink("127.0.0.2")
        srv = self.delivery_server(users=["quiet@localhost"])
        rcpt = "reject-3@fail.test"
        qid = send_raw(self, srv, "quiet@localhost", [(rcpt, "NOTIFY=NEVER")], make_message("never", ["x"], to=rcpt))
        self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertQueueEmpty(srv)
        self.assertNoDsn(srv, qid, "quiet@localhost")

    def test_null_sender_never_gets_a_dsn(self):
        self.start_sink("127.0.0.2")
        srv = self.delivery_server()
        rcpt = "reject-4@fail.test"
        qid = srv.send("", [rcpt], make_message("bounce of a bounce", ["x"], to=rcpt))
        self.wait_delivery(srv, qid, rcpt, "failed")
        self.assertQueueEmpty(srv)
        time.sleep(SETTLE)
        self.assertEqual([d for d in srv.log_events("dsn") if d.get("qid") == qid], [],
                         "a message from <> must never get a DSN")

    def test_notify_success_local_delivered(self):
        srv = self.delivery_server(users=["asker@localhost", "target@localhost"])
        qid = send_raw(self, srv, "asker@localhost", [("target@localhost", "NOTIFY=SUCCESS")],
                       make_message("tell me", ["x"], to="target@localhost"))
        self.wait_delivery(srv, qid, "target@localhost", "delivered")
        self.assertEqual(len(srv.wait_mailbox("target@localhost", 1)), 1)
        dsn = self.get_dsns(srv, "asker@localhost", 1)[0]
        self.check_dsn(dsn, "target@localhost", "delivered", "2.")
        d = srv.wait_log(lambda d: d.get("event") == "dsn" and d.get("qid") == qid)
        self.assertEqual((d or {}).get("action"), "delivered", d)
        self.assertQueueEmpty(srv)

    def test_notify_success_relayed_to_a_server_without_dsn(self):
        plain = self.start_sink("127.0.0.3", extensions=["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"],
                                name="sink without DSN")
        dsn_sink = self.start_sink("127.0.0.2", name="sink with DSN")
        srv = self.delivery_server(users=["relayasker@localhost"])
        r1, r2 = "r1@nodsn.test", "r2@fail.test"
        qid = send_raw(self, srv, "relayasker@localhost", [(r1, "NOTIFY=SUCCESS"), (r2, "NOTIFY=SUCCESS")],
                       make_message("relayed", ["x"], to=r1))
        self.wait_delivery(srv, qid, r1, "delivered")
        self.wait_delivery(srv, qid, r2, "delivered")
        self.assertEqual(self.wait_sink(plain, 1)[0].rcpt_params, {r1: []}, "no NOTIFY to a server without DSN")
        self.assertEqual(plain.protocol_errors, [])
        m = self.wait_sink(dsn_sink, 1)[0]
        self.assertIn("NOTIFY=SUCCESS", [p.upper() for p in m.rcpt_params.get(r2, [])],
                      "NOTIFY is passed on to a DSN-capable server\n" + dsn_sink.describe())
        dsn = self.get_dsns(srv, "relayasker@localhost", 1)[0]
        self.check_dsn(dsn, r1, "relayed")
        self.assertIsNone(dsn.recipient(r2), "the DSN-capable server reports on %s itself:\n%s" % (r2, dsn.describe()))
        self.assertQueueEmpty(srv)

    def test_delay_warning(self):
        self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"delay_warning": "2s", "retry_schedule": ["1s"]},
                                   users=["waiting@localhost"])
        rcpt = "defer-2@fail.test"
        qid = srv.send("waiting@localhost", [rcpt], make_message("slow", ["x"], to=rcpt))
        self.wait_delivery(srv, qid, rcpt, "deferred")
        dsn = self.get_dsns(srv, "waiting@localhost", 1)[0]
        self.check_dsn(dsn, rcpt, "delayed", "4.")
        ok, entries = srv.wait_queue(lambda es: any(e["qid"] == qid for e in es), timeout=1)
        self.assertTrue(ok, "the delayed message is still queued: %r" % [e["line"] for e in entries])

    # --- queue flush / queue bounce ---

    def test_queue_flush_retries_at_once(self):
        sink = self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"retry_schedule": ["1h"]})
        rcpt = "defer-once-f@fail.test"
        qid = srv.send("a@example.org", [rcpt], make_message("flush me", ["x"], to=rcpt))
        self.wait_delivery(srv, qid, rcpt, "deferred")
        ok, entries = srv.wait_queue(lambda es: any(e["qid"] == qid and e["attempts"] for e in es), timeout=5)
        self.assertTrue(ok, "deferred for an hour: %r" % [e["line"] for e in entries])
        time.sleep(0.5)
        self.assertEqual(sink.messages, [], "no retry before the flush (retry_schedule 1h)")
        self.assertEqual(srv.queue_flush(), 1, "queue flush with one deferred message")
        self.wait_delivery(srv, qid, rcpt, "delivered", timeout=10)
        self.wait_sink(sink, 1, timeout=10)
        self.assertQueueEmpty(srv)

    def test_queue_bounce(self):
        self.start_sink("127.0.0.2")
        srv = self.delivery_server(delivery={"retry_schedule": ["1h"]}, users=["admin-bounce@localhost"])
        r1, r2 = "defer-b1@fail.test", "defer-b2@fail.test"
        qid = srv.send("admin-bounce@localhost", [r1, r2], make_message("bounce me", ["x"], to=r1))
        self.wait_delivery(srv, qid, r1, "deferred")
        res, n = srv.queue_bounce(qid)
        self.assertEqual(n, 2, "queue bounce output should be 'bounced %s: 2 recipients'\n%s" % (qid, res.describe()))
        self.assertIn("bounced %s: 2 recipients" % qid, res.out, res.describe())
        dsn = self.get_dsns(srv, "admin-bounce@localhost", 1)[0]
        for r in (r1, r2):
            block = self.check_dsn(dsn, r, "failed", "5.0.0")
        self.assertQueueEmpty(srv)
        res, _ = srv.queue_bounce(qid, check=None)
        self.assertEqual(res.returncode, 1, "queue bounce of an ID no longer queued: exit 1\n" + res.describe())
        res, _ = srv.queue_bounce("0000000000000000", check=None)
        self.assertEqual(res.returncode, 1, "queue bounce of an unknown ID: exit 1\n" + res.describe())


if __name__ == "__main__":
    unittest.main()
