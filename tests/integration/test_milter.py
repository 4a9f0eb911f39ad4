"""The milter client ([milters], docs/INBOUND.md "Milter").

MilterActionsTest drives a scripted milter (milter_peer.ScriptedMilter:
the wire protocol in Python, its end-of-message answer chosen by the
message's Subject) through every action: reject with its own reply, plain
reject, tempfail, discard, header add/change/insert/delete, body
replacement, recipients added and deleted; and checks what the
milter was told (macros {i} and j, the connect address, the envelope, the
headers with ringpost's Received: first, the body) and that a worker
reuses its connection. MilterQuarantineTest: a quarantine holds the message
(Postfix's hold queue) until `queue release`, across a restart. MilterChainTest runs two milters in the order of
their names, the second asking for rspamd's no-reply flags. Failures:
a milter that times out (fail open and fail closed), one that is down
(reject), and apply_to. RspamdTest runs a real rspamd (Debian package) in
milter mode: GTUBE is refused with rspamd's reply, clean mail gets its
headers (X-Rspamd-Queue-Id is ringpost's queue id, sent as {i})."""

import http.client
import json
import os
import re
import shutil
import socket
import tempfile
import time
import unittest

import harness
import milter_peer
from harness import HOSTNAME, ServerTestCase, make_message
from sink import SmtpSink
from milter_peer import (ACCEPT, CONTINUE, DISCARD, REJECT, TEMPFAIL, ScriptedMilter, add_header, change_header,
                         insert_header, packet, reply_code)

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def subject_of(msg):
    return next((v for n, v in msg.headers if n.lower() == "subject"), "")


def scripted_answer(msg):
    """The scripted milter's end-of-message answer, chosen by the Subject."""
    s = subject_of(msg)
    answers = {
        "reject-code": [reply_code("550 5.7.1 Go away, spammer")],
        "reject-plain": [REJECT],
        "tempfail": [TEMPFAIL],
        "tempfail-code": [reply_code("452 4.3.1 Milter queue full")],
        "discard": [DISCARD],
        "headers": [add_header("X-Milter", "scanned\n\tby scripted"), change_header(1, "Subject", "changed"),
                    insert_header(0, "X-First", "top"), change_header(1, "X-Remove-Me", ""), ACCEPT],
        "body": [packet(b"b", b"Replaced body line one\n"), packet(b"b", b"and two\r\n"), CONTINUE],
        "recipients": [packet(b"+", b"<bob@localhost>\0"), packet(b"-", b"<alice@localhost>\0"),
                       packet(b"+", b"<nobody@localhost>\0"), ACCEPT],
        "quarantine": [packet(b"q", b"looks odd\0"), ACCEPT],
        "http-headers": [add_header("X-Milter-Http", "yes"), ACCEPT],
    }
    return answers.get(s, [ACCEPT])


def stored(srv, user, subject_marker, wait=10.0):
    mid, _ = harness.find_mailbox_entry(srv, user, marker=subject_marker, wait=wait)
    return srv.mailbox_show(user, mid)


def header_block(data):
    return data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")


def send_raw(srv, sender, rcpts, message, port=None):
    """One transaction; returns the reply to the end of the data."""
    c = harness.RawSMTP("127.0.0.1", port or srv.port)
    try:
        c.read_reply()
        c.cmd("EHLO client.test")
        r = c.cmd("MAIL FROM:<%s>" % sender)
        assert r.code == 250, r
        for rcpt in rcpts:
            r = c.cmd("RCPT TO:<%s>" % rcpt)
            assert r.code == 250, r
        r = c.cmd("DATA")
        assert r.code == 354, r
        data = message.replace(b"\r\n.", b"\r\n..")
        c.send(data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        reply = c.read_reply(timeout=20)
        c.cmd("QUIT")
        return reply
    finally:
        c.close()


def inject(srv, subject):
    """One message through POST /api/v1/messages (from loopback: no token needed); (status, document)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=20)
    try:
        raw = "From: app@example.org\r\nTo: alice@localhost\r\nSubject: %s\r\n\r\nInjected.\r\n" % subject
        c.request("POST", "/api/v1/messages", headers={"Content-Type": "application/json"},
                  body=json.dumps({"envelope_sender": "app@example.org", "recipients": ["alice@localhost"],
                                   "content": raw}))
        r = c.getresponse()
        return r.status, json.loads(r.read())
    finally:
        c.close()


class MilterActionsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.milter = ScriptedMilter(script=scripted_answer)
        cls.addClassCleanup(cls.milter.close)
        cls.srv = cls.start_class_server({"milters": {"scripted": {"address": cls.milter.address}}})
        for u in ("alice@localhost", "bob@localhost"):
            cls.srv.add_user(u)

    def message(self, subject, extra=(), body=("Hello.",)):
        return make_message(subject, body_lines=body, extra_headers=extra)

    def test_replay_tells_the_milter_everything(self):
        before = len(self.milter.messages)
        msg = self.message("plain-accept", body=("line one", "line two"))
        qid = self.srv.send("sender@example.org", ["alice@localhost"], msg)
        m = self.milter.wait_messages(before + 1)[-1]
        self.assertEqual(m.macros.get("i"), qid)
        self.assertEqual(m.macros.get("j"), HOSTNAME)
        self.assertEqual((m.connect[1], m.connect[3]), ("4", "127.0.0.1"))
        # The client's port, in SMFIC_CONNECT and {client_port}: the one the
        # server logged at this session's connect.
        self.assertEqual(m.macros.get("{client_port}"), str(m.connect[2]))
        self.assertIn(str(m.connect[2]), [d.get("port") for d in self.srv.log_events("connect")])
        self.assertEqual((m.macros.get("{rcpt_host}"), m.macros.get("{rcpt_mailer}")), ("localhost", "local"))
        self.assertTrue(m.helo)
        self.assertEqual(m.sender, "<sender@example.org>")
        self.assertEqual(m.rcpts, ["<alice@localhost>"])
        self.assertEqual(m.headers[0][0], "Received")
        self.assertIn(qid, m.headers[0][1])
        self.assertEqual(subject_of(m), "plain-accept")
        self.assertEqual(m.body, b"line one\r\nline two\r\n")
        # Every step, in order (after the option negotiation on a new connection).
        self.assertEqual(m.commands.lstrip(b"O"), b"DCHDMDRDT" + b"L" * len(m.headers) + b"NBDE")
        harness.verify_local(self, self.srv, "alice@localhost", "sender@example.org", qid, msg)

    def test_reject_with_the_milters_reply(self):
        r = send_raw(self.srv, "sender@example.org", ["alice@localhost"], self.message("reject-code"))
        self.assertEqual(r.code, 550, r)
        self.assertIn("5.7.1 Go away, spammer", r.text)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "milter_reject" and d.get("milter") == "scripted"))

    def test_plain_reject(self):
        r = send_raw(self.srv, "sender@example.org", ["alice@localhost"], self.message("reject-plain"))
        self.assertEqual(r.code, 550, r)
        self.assertIn("5.7.1", r.text)

    def test_tempfail(self):
        r = send_raw(self.srv, "sender@example.org", ["alice@localhost"], self.message("tempfail"))
        self.assertEqual(r.code, 451, r)
        self.assertIn("4.7.1", r.text)
        r = send_raw(self.srv, "sender@example.org", ["alice@localhost"], self.message("tempfail-code"))
        self.assertEqual(r.code, 452, r)
        self.assertIn("4.3.1 Milter queue full", r.text)

    def test_discard_answers_250_and_drops(self):
        r = send_raw(self.srv, "sender@example.org", ["bob@localhost"], self.message("discard"))
        self.assertEqual(r.code, 250, r)
        qid = harness.parse_qid(r.text)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "milter_discard" and d.get("qid") == qid))
        time.sleep(0.3)
        self.assertFalse([e for e in self.srv.mailbox_list("bob@localhost") if "discard" in e[1]])
        self.assertFalse([q for q, _ in self.srv.queue_list() if q == qid])

    def test_header_edits(self):
        msg = self.message("headers", extra=("X-Remove-Me: yes",))
        self.srv.send("sender@example.org", ["alice@localhost"], msg)
        head = header_block(stored(self.srv, "alice@localhost", "changed"))
        lines = head.split("\r\n")
        # Return-Path and Delivered-To come from local delivery; the milter's field is first after them.
        self.assertIn("X-First: top", lines[:3])
        self.assertIn("Subject: changed", lines)
        self.assertNotIn("Subject: headers", lines)
        self.assertNotIn("X-Remove-Me: yes", head)
        self.assertIn("X-Milter: scanned\r\n\tby scripted", head)

    def test_body_replaced(self):
        self.srv.send("sender@example.org", ["alice@localhost"], self.message("body"))
        data = stored(self.srv, "alice@localhost", "body")
        self.assertTrue(data.endswith(b"\r\n\r\nReplaced body line one\r\nand two\r\n"), data[-200:])

    def test_recipients_added_and_deleted(self):
        qid = self.srv.send("sender@example.org", ["alice@localhost"], self.message("recipients"))
        self.srv.wait_mailbox("bob@localhost", 1)
        harness.find_mailbox_entry(self.srv, "bob@localhost", qid=qid)
        self.assertFalse([e for e in self.srv.mailbox_list("alice@localhost") if qid in e[0]])
        # nobody@localhost has no mailbox: the added recipient is refused and logged.
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "milter_rcpt_refused" and d.get("rcpt") == "nobody@localhost"))

    def test_injected_mail_is_filtered_too(self):
        status, doc = inject(self.srv, "http-headers")
        self.assertEqual((status, doc["success_count"]), (200, 1), doc)
        head = header_block(stored(self.srv, "alice@localhost", "http-headers"))
        self.assertIn("X-Milter-Http: yes", head)
        self.assertIn("with HTTP", head)

    def test_connections_are_reused(self):
        self.srv.send("sender@example.org", ["alice@localhost"], self.message("warm-up"))
        before = self.milter.connections
        c = self.srv.smtp()
        try:
            for i in range(4):
                harness.send_on(c, "sender@example.org", ["alice@localhost"], self.message("reuse-%d" % i))
        finally:
            c.quit()
        # Two workers, each keeps its own: at most one new connection each.
        self.assertLessEqual(self.milter.connections - before, 2)


class MilterQuarantineTest(ServerTestCase):
    """SMFIR_QUARANTINE is Postfix's hold: the client gets its 250, the message is spooled on hold in that commit
    and nothing is delivered -- to the remote recipient nor into the local mailbox -- across a restart and a
    `queue flush`, until `queue release`; then both are delivered at once."""

    def test_quarantine_holds_until_released(self):
        milter = ScriptedMilter(script=scripted_answer)
        self.addCleanup(milter.close)
        sink = SmtpSink("127.0.0.1", harness.free_port())
        self.addCleanup(sink.stop)
        sink.start()
        tmp = tempfile.mkdtemp(prefix="ringpost-hold-")
        self.addCleanup(shutil.rmtree, tmp, True)
        events = os.path.join(tmp, "events.jsonl")
        srv = self.start_server({"milters": {"scripted": {"address": milter.address}},
                                 "delivery": {"routes": {"remote.test": "[127.0.0.1]:%d" % sink.port},
                                              "retry_schedule": ["1s"]},
                                 "events": {"file": events}})
        srv.add_user("alice@localhost")
        r = send_raw(srv, "sender@example.org", ["alice@localhost", "bob@remote.test"], make_message("quarantine"))
        self.assertEqual(r.code, 250, r)
        qid = re.search(r"queued as ([0-9A-F]{16})", r.text).group(1)
        held = srv.wait_log(lambda d: d.get("event") == "held" and d.get("qid") == qid)
        self.assertIsNotNone(held, "no 'held' log line")
        self.assertEqual((held.get("source"), held.get("milter"), held.get("reason")), ("milter", "scripted", "looks odd"))
        metrics = srv.admin("metrics", check=0).out
        for sample in ('ringpost_milter_results_total{milter="scripted",result="quarantine"} 1',
                       'ringpost_messages_held_total{source="milter"} 1',
                       'ringpost_milter_exchange_seconds_count{milter="scripted"} 1'):
            self.assertIn(sample + "\n", metrics)

        def still_held(when):
            entry = next((e for e in srv.queue_entries() if e["qid"] == qid), None)
            self.assertIsNotNone(entry, "%s: the message left the queue" % when)
            self.assertEqual((entry["next"], entry["held"], entry["attempts"]),
                             ("held", "looks odd (milter scripted)", 0), "%s: %s" % (when, entry["line"]))
            self.assertEqual(sink.connections, 0, when)
            self.assertEqual(srv.mailbox_list("alice@localhost"), [], when)

        shown = json.loads(srv.cli("queue", "show", qid, "--json", check=0).stdout)
        self.assertEqual((shown["held"], shown["hold_reason"], shown["hold_milter"]), (True, "looks odd", "scripted"))
        time.sleep(1.5)   # the retry schedule is 1 s: a held message would have been tried by now
        still_held("after 1.5 s")
        srv.stop()
        srv.start()
        srv.cli("queue", "flush", check=0)
        time.sleep(1.0)
        still_held("after a restart and a flush")

        self.assertIn("released %s" % qid, srv.cli("queue", "release", qid, check=0).out)
        self.assertTrue(sink.wait_messages(1, 15), "not delivered after the release")
        self.assertNotIn(b"X-Ringpost-Quarantine", sink.snapshot()[0].data)
        srv.wait_mailbox("alice@localhost", 1)
        deadline = time.monotonic() + 10
        got = {}
        while time.monotonic() < deadline and len(got) < 2:
            with open(events, encoding="utf-8") as f:
                got = {e["type"]: e for e in map(json.loads, f.read().splitlines())
                       if e["type"] in ("held", "released") and e["queue_id"] == qid}
            time.sleep(0.05)
        self.assertEqual((got["held"].get("reason"), got["held"].get("milter")), ("looks odd", "scripted"), got)
        self.assertEqual(got["released"].get("milter"), "scripted", got)


class MilterChainTest(ServerTestCase):
    """Two milters run in the order of their names; each sees the other's edits."""

    def test_order_and_no_reply_flags(self):
        first = ScriptedMilter(script=lambda m: [add_header("X-Order", "first"), ACCEPT])
        second = ScriptedMilter(script=lambda m: [add_header("X-Order", "second:%s" % dict(m.headers).get("X-Order")),
                                                  ACCEPT],
                                protocol=milter_peer.NR_ALL | milter_peer.NO_BODY)
        for mt in (first, second):
            self.addCleanup(mt.close)
        srv = self.start_server({"milters": {"20-second": {"address": second.address},
                                             "10-first": {"address": first.address}}})
        srv.add_user("alice@localhost")
        srv.send("sender@example.org", ["alice@localhost"], make_message("chain"))
        head = header_block(stored(srv, "alice@localhost", "chain"))
        self.assertLess(head.index("X-Order: first"), head.index("X-Order: second:first"))
        m = second.wait_messages(1)[0]
        self.assertEqual(m.body, b"")          # SMFIP_NOBODY: no body chunks sent
        self.assertNotIn(b"B", m.commands)


class MilterFailureTest(ServerTestCase):

    def slow_server(self, on_failure):
        milter = ScriptedMilter(script=lambda m: [add_header("X-Late", "yes"), ACCEPT], delay=3.0)
        self.addCleanup(milter.close)
        srv = self.start_server({"milters": {"slow": {"address": milter.address, "command_timeout": "500ms",
                                                      "on_failure": on_failure}}})
        srv.add_user("alice@localhost")
        return srv

    def test_timeout_fail_open(self):
        srv = self.slow_server("accept")
        t0 = time.monotonic()
        r = send_raw(srv, "sender@example.org", ["alice@localhost"], make_message("fail-open"))
        self.assertEqual(r.code, 250, r)
        self.assertLess(time.monotonic() - t0, 2.5)
        self.assertNotIn("X-Late", header_block(stored(srv, "alice@localhost", "fail-open")))
        self.assertTrue(srv.wait_log(lambda d: d.get("event") == "milter_failed" and "timed out" in d.get("error", "")
                                    and d.get("action") == "accept"))
        metrics = srv.admin("metrics", check=0).out
        self.assertIn('ringpost_milter_failures_total{milter="slow",kind="timeout",action="accept"} 1\n', metrics)
        self.assertIn('ringpost_milter_results_total{milter="slow",result="failed"} 1\n', metrics)

    def test_timeout_fail_closed(self):
        srv = self.slow_server("tempfail")
        r = send_raw(srv, "sender@example.org", ["alice@localhost"], make_message("fail-closed"))
        self.assertEqual(r.code, 451, r)
        self.assertIn("4.7.1", r.text)

    def test_idle_connection_closed_by_the_milter_is_retried(self):
        milter = ScriptedMilter(script=lambda m: [add_header("X-Seen", "yes"), ACCEPT], close_after_message=True)
        self.addCleanup(milter.close)
        srv = self.start_server({"milters": {"closing": {"address": milter.address}}})
        srv.add_user("alice@localhost")
        c = srv.smtp()
        try:
            for i in range(3):   # one session: one worker, whose idle connection the milter has closed
                harness.send_on(c, "sender@example.org", ["alice@localhost"], make_message("retried-%d" % i))
        finally:
            c.quit()
        self.assertEqual(len(milter.wait_messages(3)), 3)
        self.assertGreaterEqual(milter.connections, 3)
        for i in range(3):
            self.assertIn("X-Seen: yes", header_block(stored(srv, "alice@localhost", "retried-%d" % i)))
        self.assertIsNone(srv.wait_log(lambda d: d.get("event") == "milter_failed", timeout=0.2))

    def dead_address(self):
        s = socket.socket()
        s.bind(("127.0.0.1", harness.free_port()))
        self.addCleanup(s.close)
        return "127.0.0.1:%d" % s.getsockname()[1]   # bound, never listening: connections are refused

    def test_milter_down_rejects_and_apply_to(self):
        srv = self.start_server({"milters": {"down": {"address": self.dead_address(), "on_failure": "reject",
                                                      "apply_to": ["smtp"]}}})
        srv.add_user("alice@localhost")
        r = send_raw(srv, "sender@example.org", ["alice@localhost"], make_message("down"))
        self.assertEqual(r.code, 550, r)
        self.assertIn("5.7.1", r.text)
        self.assertTrue(srv.wait_log(lambda d: d.get("event") == "milter_failed" and "connect to" in d.get("error", "")))
        self.assertIn('ringpost_milter_failures_total{milter="down",kind="error",action="reject"} 1\n',
                      srv.admin("metrics", check=0).out)
        # The injection API's mail is not this milter's (apply_to = ["smtp"]).
        status, doc = inject(srv, "not-filtered")
        self.assertEqual((status, doc["success_count"]), (200, 1), doc)
        srv.wait_mailbox("alice@localhost", 1)


class RspamdTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        if not milter_peer.rspamd_binary():
            harness.missing_dependency(None, "rspamd (Debian package rspamd)")
        cls.rspamd = milter_peer.Rspamd()
        cls.addClassCleanup(cls.rspamd.stop)
        cls.rspamd.start(timeout=150)
        cls.srv = cls.start_class_server({"milters": {"rspamd": {"address": cls.rspamd.address}}})
        cls.srv.add_user("alice@localhost")

    def test_gtube_rejected_with_rspamds_reply(self):
        r = send_raw(self.srv, "sender@example.org", ["alice@localhost"], make_message("gtube", body_lines=(GTUBE,)))
        self.assertEqual(r.code, 554, "%s\n%s" % (r, self.rspamd.log_tail()))
        self.assertIn("5.7.1 Gtube pattern", r.text)

    def test_clean_mail_gets_rspamds_headers(self):
        qid = self.srv.send("sender@example.org", ["alice@localhost"],
                            make_message("clean", body_lines=("Just a friendly note about lunch.",)))
        head = header_block(stored(self.srv, "alice@localhost", "clean"))
        self.assertIn("X-Rspamd-Queue-Id: %s" % qid, head, self.rspamd.log_tail())
        self.assertRegex(head, r"X-Spamd-Bar: |X-Spam-Status: ")


if __name__ == "__main__":
    unittest.main()
