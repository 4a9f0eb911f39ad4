"""Queue control per domain and site while serving (issue 13 item 5; docs/BULK.md, docs/CLI.md):
`queue summary` (per domain and site, by age), `queue suspend TARGET [--for D] [--reason T]` holding
mail without attempts -- durable across a restart --, `queue resume` making held mail due at once,
`queue retry --domain`, `queue bounce --domain` failing only that domain's recipients, with DSNs, and
`queue hold` / `queue release` of one message (Postfix's postsuper -h / -H)."""

import json
import re
import time

import harness
from harness import make_message
from delivery_base import DeliveryTestCase

ZONE = dict(
    mx=[("held.test", "mx.held.test", 10), ("free.test", "mx.free.test", 10),
        ("a.rollup.test", "mx1.rollup.test", 10), ("b.rollup.test", "mx1.rollup.test", 10)],
    hosts={"mx.held.test": ["127.0.0.2"], "mx.free.test": ["127.0.0.3"], "mx1.rollup.test": ["127.0.0.4"]},
)
SENDER = "sender@local.test"


class QueueControlTest(DeliveryTestCase):
    ZONE = ZONE

    def server(self, **kw):
        return self.delivery_server(users=[SENDER], **kw)

    def summary(self, srv):
        return srv.cli("queue", "summary", check=0).out

    def summary_json(self, srv):
        return json.loads(srv.cli("queue", "summary", "--json", check=0).stdout)

    def domain_row(self, text, domain):
        for line in text.splitlines():
            if line.split() and line.split()[0] == domain:
                return line.split()
        return None

    def test_suspend_holds_mail_across_a_restart_and_resume_delivers_it(self):
        held_sink = self.start_sink("127.0.0.2")
        free_sink = self.start_sink("127.0.0.3")
        srv = self.server()
        r = srv.cli("queue", "suspend", "Held.test", "--reason", "provider asked us to slow down", check=0)
        self.assertIn("suspended held.test until resumed", r.out)
        qid = srv.send(SENDER, ["u1@held.test"], make_message("held", sender=SENDER, to="u1@held.test"))
        srv.send(SENDER, ["u1@free.test"], make_message("free", sender=SENDER, to="u1@free.test"))
        self.wait_sink(free_sink, 1, what="(another domain is not held)")
        entry = self.wait_queue_reply(srv, qid, "delivery suspended (held.test)")
        self.assertIn("provider asked us to slow down", entry["last_error"])
        self.assertEqual(entry["attempts"], 0, "a held recipient was not attempted: %r" % entry)
        self.assertEqual(held_sink.connections, 0)
        text = self.summary(srv)
        row = self.domain_row(text, "held.test")
        self.assertIsNotNone(row, text)
        self.assertEqual(row[2:4], ["1", "1"], "1 message, 1 recipient:\n" + text)
        self.assertRegex(text, r"suspended held\.test until resumed since \S+: provider asked us to slow down")
        doc = self.summary_json(srv)
        held = next(d for d in doc["domains"] if d["domain"] == "held.test")
        self.assertEqual((held["messages"], held["recipients"]), (1, 1), doc)
        self.assertEqual([(s["target"], s["until"], s["reason"]) for s in doc["suspensions"]],
                         [("held.test", None, "provider asked us to slow down")], doc)

        # A site too: free.test's MX host set, as queue summary names it.
        free_site = "mx.free.test:%d" % self.remote_port
        srv.cli("queue", "suspend", free_site, check=0)

        srv.stop()
        srv.start()
        srv.cli("queue", "flush", check=0)   # due now: still held after the restart
        srv.send(SENDER, ["u2@free.test"], make_message("free 2", sender=SENDER, to="u2@free.test"))
        time.sleep(1.5)
        self.assertEqual(held_sink.connections, 0, "the domain's suspension is durable")
        self.assertEqual(len(free_sink.snapshot()), 1, "the site's suspension is durable")
        text = self.summary(srv)
        self.assertIn("suspended held.test", text)
        self.assertIn("suspended " + free_site, text)

        r = srv.cli("queue", "resume", "held.test", check=0)
        self.assertIn("resumed held.test: 1 held message due now", r.out)
        self.wait_sink(held_sink, 1, what="(resumed)")
        r = srv.cli("queue", "resume", free_site, check=0)
        self.assertIn("1 held message due now", r.out)
        self.wait_sink(free_sink, 2, what="(site resumed)")
        self.assertQueueEmpty(srv)
        self.assertNotIn("suspended held.test", self.summary(srv))
        self.assertEqual(srv.cli("queue", "resume", "held.test").returncode, 1, "nothing left to resume")

    def wait_queue_reply(self, srv, qid, text, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for q, line in srv.queue_list():
                if q == qid:
                    e = harness.parse_queue_line(line)
                    if e["last_error"] and text in e["last_error"]:
                        return e
            time.sleep(0.1)
        self.fail("%s never showed %r in queue list:\n%s" % (qid, text, "\n".join(l for _, l in srv.queue_list())))

    def test_hold_and_release_a_message(self):
        """queue hold (postsuper -h): no more attempts (none counted), not in the summary's waiting mail,
        `queue flush` leaves it; queue release (-H): due at once, delivered."""
        srv = self.server()
        qid = srv.send(SENDER, ["u1@free.test"], make_message("hold me", sender=SENDER, to="u1@free.test"))
        # free.test's sink is not up yet: the first attempt is deferred, retried every second.
        entry = srv.wait_attempted(qid, timeout=15)
        self.assertIsNotNone(entry)
        r = srv.cli("queue", "hold", qid, "--reason", "ask the customer", check=0)
        self.assertIn("held %s\n-- held 1 message" % qid, r.out)
        # An attempt already running when the hold came finishes (refused at once) and keeps the hold.
        time.sleep(0.5)
        attempts = next(e for e in srv.queue_entries() if e["qid"] == qid)["attempts"]
        free_sink = self.start_sink("127.0.0.3")
        self.assertIn("flushed 0 messages", srv.cli("queue", "flush", check=0).out)
        time.sleep(2.0)
        e = next(e for e in srv.queue_entries() if e["qid"] == qid)
        self.assertEqual((e["next"], e["attempts"], e["held"]), ("held", attempts, "ask the customer (operator)"), e)
        self.assertEqual(free_sink.connections, 0)
        self.assertIsNone(self.domain_row(self.summary(srv), "free.test"), "held mail is not waiting mail")
        self.assertIn("held 1 message (not delivered until queue release)", self.summary(srv))
        self.assertEqual(self.summary_json(srv)["held"], 1)
        self.assertIn("-- held 0 messages", srv.cli("queue", "hold", "--all", check=0).out, "held already")

        r = srv.cli("queue", "release", "--all", check=0)
        self.assertIn("released %s\n-- released 1 message" % qid, r.out)
        self.wait_sink(free_sink, 1, timeout=10, what="(released)")
        self.assertQueueEmpty(srv)

    def test_a_site_suspended_for_a_while_is_delivered_when_it_ends(self):
        sink = self.start_sink("127.0.0.4")
        srv = self.server()
        # The site of a.rollup.test / b.rollup.test is their MX host set.
        srv.send(SENDER, ["first@a.rollup.test"], make_message("learn", sender=SENDER, to="first@a.rollup.test"))
        self.wait_sink(sink, 1)
        site = "mx1.rollup.test:%d" % self.remote_port
        # The 3 s count from when the server takes the command, which is
        # after t0 (the CLI's start) and before the CLI exits: an ASan CLI
        # on a busy machine can take seconds to exit.
        t0 = time.monotonic()
        r = srv.cli("queue", "suspend", site, "--for", "3s", check=0)
        self.assertRegex(r.out, r"suspended %s until \S+" % re.escape(site))
        srv.send(SENDER, ["u@b.rollup.test"], make_message("held by site", sender=SENDER, to="u@b.rollup.test"))
        self.wait_sink(sink, 2, timeout=20, what="(after the 3 s suspension)")
        self.assertGreaterEqual(sink.arrival_times[1] - t0, 2.9, "held until the suspension ended")

    def test_summary_groups_domains_by_site(self):
        srv = self.server(delivery={"retry_schedule": ["1h"]})
        sink = self.start_sink("127.0.0.4")
        # defer-once: the first attempt gets 451, then the message waits an hour.
        for d in ("a.rollup.test", "b.rollup.test"):
            srv.send(SENDER, ["defer-once@" + d], make_message("to " + d, sender=SENDER, to="defer-once@" + d))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(sink.rcpt_log) < 2:
            time.sleep(0.1)
        text = self.summary(srv)
        site = "mx1.rollup.test:%d" % self.remote_port
        for d in ("a.rollup.test", "b.rollup.test"):
            row = self.domain_row(text, d)
            self.assertIsNotNone(row, text)
            self.assertEqual(row[1], site, text)
            self.assertEqual(row[5], "1", "one message under 5 minutes old:\n" + text)
        site_row = self.domain_row(text, site)
        self.assertIsNotNone(site_row, "a SITE table row for %s:\n%s" % (site, text))
        self.assertEqual(site_row[1:3], ["2", "2"], text)
        doc = self.summary_json(srv)
        for d in doc["domains"]:
            self.assertEqual((d["site"], d["messages"], d["age_buckets"][0]),
                             (site, 1, {"under_minutes": 5, "messages": 1}), doc)
        self.assertEqual([(s["site"], s["messages"], s["recipients"]) for s in doc["sites"]], [(site, 2, 2)], doc)
        # retry --domain: only a.rollup.test's message is due now.
        r = srv.cli("queue", "retry", "--domain", "a.rollup.test", check=0)
        self.assertIn("retrying a.rollup.test: 1 message due now", r.out)
        msgs = self.wait_sink(sink, 1)
        self.assertEqual(msgs[0].rcpts, ["defer-once@a.rollup.test"])
        time.sleep(1)
        self.assertEqual(len(sink.snapshot()), 1, "b.rollup.test still waits its hour")

    def test_bounce_domain_fails_only_that_domains_recipients(self):
        srv = self.server(delivery={"retry_schedule": ["1h"]})
        self.start_sink("127.0.0.2")
        free_sink = self.start_sink("127.0.0.3")
        qid = srv.send(SENDER, ["defer@held.test", "defer-once@free.test"],
                       make_message("two domains", sender=SENDER, to="defer@held.test"))
        self.wait_first_attempt(srv, qid)
        # --json names the deferred recipients' replies and the class the text shows (first one).
        deadline = time.monotonic() + 10
        while " class=" not in dict(srv.queue_list()).get(qid, "") and time.monotonic() < deadline:
            time.sleep(0.1)
        listed = json.loads(srv.cli("queue", "list", "--json", check=0).stdout)["messages"]
        replied = [r for m in listed if m["queue_id"] == qid for r in m["recipients"] if r["last_reply"]]
        self.assertTrue(replied and replied[0]["status"] == "deferred", listed)
        self.assertIn(" class=%s" % replied[0]["bounce_class"], dict(srv.queue_list())[qid])
        r = srv.cli("queue", "bounce", "--domain", "held.test", check=0)
        self.assertIn("bounced held.test: 1 recipient in 1 message", r.out)
        dsn = self.get_dsns(srv, SENDER, 1)[0]
        self.check_dsn(dsn, "defer@held.test", "failed", status="5.0.0")
        self.assertIsNone(dsn.recipient("defer-once@free.test"), dsn.describe())
        entries = [harness.parse_queue_line(l) for q, l in srv.queue_list() if q == qid]
        self.assertEqual(entries[0]["rcpts"] if entries else None, ["defer-once@free.test"],
                         "the other domain's recipient stays queued")
        self.assertEqual(srv.cli("queue", "bounce").returncode, 2, "an ID or --domain is required")
        self.assertEqual(srv.cli("queue", "bounce", qid, "--domain", "x.test").returncode, 2, "not both")
        self.assertEqual(srv.cli("queue", "retry").returncode, 2)
        self.assertEqual(srv.cli("queue", "suspend", "x.test", "--for", "soon").returncode, 2)
        self.assertEqual(len(free_sink.snapshot()), 0)


if __name__ == "__main__":
    import unittest
    unittest.main()
