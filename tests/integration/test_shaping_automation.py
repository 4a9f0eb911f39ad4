"""Shaping automation (issue 13 item 3; docs/BULK.md "Automation"): rules on remote replies act on
the site. A sink that starts answering `421 4.7.28` after N messages gets its site suspended for the
configured time: nothing bounces, the held messages are no attempt, and delivery resumes by itself
when the suspension ends. A throttle rule slows the site to its rate; a fail rule bounces at once
what the provider says will never be accepted. Plus the rules files' errors and the built-in rules."""

import json
import os
import urllib.request
import time

import harness
from harness import make_message
from delivery_base import DeliveryTestCase

ZONE = dict(mx=[("provider.test", "mx.provider.test", 10)], hosts={"mx.provider.test": ["127.0.0.2"]})
SENDER = "sender@local.test"
ONE_CONNECTION = {"sites": {"provider": {"domains": ["provider.test"], "max_connections": 1}}}

RULES = """
[[rule]]
name = "test-unusual-rate"
enhanced = "4.7.28"
action = "suspend"
duration = "3s"

[[rule]]
name = "test-slow-down"
text = 'slow down'
action = "throttle"
rate = "2/s"
duration = "1m"

[[rule]]
name = "test-never"
text = 'permanently deferred'
action = "fail"
"""


class ShapingAutomationTest(DeliveryTestCase):
    ZONE = ZONE

    def server(self, rules=RULES, config_extra=None, **kw):
        path = os.path.join(self.dns.tmp, "automation-%s.toml" % self.id().split(".")[-1])
        with open(path, "w") as f:
            f.write(rules)
        cfg = {"shaping": dict({"automation": path}, **(config_extra or {}))}
        return self.delivery_server(config=cfg, users=[SENDER], **kw)

    def send_all(self, srv, n, subject):
        c = srv.smtp()
        try:
            return [harness.send_on(c, SENDER, ["u%d@provider.test" % i],
                                    make_message("%s %d" % (subject, i), sender=SENDER, to="u%d@provider.test" % i))
                    for i in range(n)]
        finally:
            c.quit()

    def test_a_throttle_reply_suspends_the_site_and_delivery_resumes_by_itself(self):
        sink = self.start_sink("127.0.0.2", throttle_after=2, throttle_count=1,
                               throttle_reply="421 4.7.28 Gmail has detected an unusual rate of unsolicited mail")
        # One connection at a time: no transaction is under way on another
        # connection when the suspension begins (it would finish, rightly).
        srv = self.server(config_extra=ONE_CONNECTION)
        self.send_all(srv, 6, "burst")
        self.wait_sink(sink, 6, timeout=40, what="(after the automatic suspension ended)")
        ev = srv.wait_log(lambda d: d.get("event") == "automation" and d.get("rule") == "test-unusual-rate")
        self.assertIsNotNone(ev, "an event=automation line for the suspension")
        self.assertEqual(ev.get("action"), "suspend")
        self.assertEqual(len(sink.throttle_times), 1)
        later = [t for t in sink.arrival_times if t > sink.throttle_times[0]]
        self.assertTrue(later, sink.describe())
        self.assertGreaterEqual(min(later) - sink.throttle_times[0], 2.5,
                                "nothing goes to the site while it is suspended (3 s)\n" + sink.describe())
        self.assertIsNotNone(srv.wait_log(lambda d: d.get("event") == "resumed" and d.get("target")),
                             "the suspension's end is logged")
        self.assertQueueEmpty(srv)
        self.assertEqual(srv.mailbox_list(SENDER), [], "nothing bounced")

    def test_an_operator_resumes_an_automatic_suspension(self):
        # An hour-long automatic suspension: `queue resume SITE` ends it at
        # once (it is the engine's, in memory, not a durable `queue suspend`).
        rules = RULES.replace('duration = "3s"', 'duration = "1h"')
        sink = self.start_sink("127.0.0.2", throttle_after=1, throttle_count=1,
                               throttle_reply="421 4.7.28 Gmail has detected an unusual rate of unsolicited mail")
        srv = self.server(rules=rules, config_extra=ONE_CONNECTION)
        self.send_all(srv, 3, "held")
        self.assertIsNotNone(srv.wait_log(lambda d: d.get("event") == "automation" and d.get("action") == "suspend"))
        time.sleep(0.5)
        self.assertEqual(len(sink.arrival_times), 1, sink.describe())
        # The operator sees it: queue summary and the status page's API.
        summary = json.loads(srv.cli("queue", "summary", "--json", check=0).stdout)
        held = [s for s in summary["suspensions"] if s["target"] == "provider"]
        self.assertEqual([(s["automatic"], s["since"]) for s in held], [(True, None)], summary["suspensions"])
        self.assertIn("rule test-unusual-rate", held[0]["reason"])
        self.assertRegex(srv.cli("queue", "summary", check=0).out, r"suspended provider until \S+ \(automatic\)")
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/status" % srv.http_port, timeout=10) as reply:
            status = json.loads(reply.read())
        self.assertEqual([s["automatic"] for s in status["suspensions"] if s["target"] == "provider"], [True], status)
        r = srv.cli("queue", "resume", "provider")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("resumed provider", r.out)
        self.wait_sink(sink, 3, timeout=15, what="(after `queue resume` of the automatic suspension)")
        self.assertQueueEmpty(srv)

    def test_a_throttle_rule_slows_the_site_down(self):
        sink = self.start_sink("127.0.0.2", throttle_after=1, throttle_count=1,
                               throttle_reply="451 4.7.0 Too much mail, slow down")
        # One connection at a time: no transaction is already under way
        # elsewhere when the throttle begins.
        srv = self.server(config_extra=ONE_CONNECTION)
        self.send_all(srv, 6, "paced")
        self.wait_sink(sink, 6, timeout=40)
        ev = srv.wait_log(lambda d: d.get("event") == "automation" and d.get("rule") == "test-slow-down")
        self.assertIsNotNone(ev)
        self.assertEqual(ev.get("max_message_rate"), "2/s")
        after = sorted(t for t in sink.arrival_times if t > sink.throttle_times[0])
        self.assertEqual(len(after), 5, sink.describe())
        self.assertGreaterEqual(after[-1] - after[0], 4 * 0.5 - 0.2, "2/s from then on (0.2 s for the sink's "
                                "clock: test_shaping.py)\n" + sink.describe())

    def test_a_fail_rule_bounces_at_once(self):
        self.start_sink("127.0.0.2", throttle_after=0, throttle_count=1,
                        throttle_reply="421 4.7.0 [TSS09] All messages from you will be permanently deferred")
        srv = self.server(delivery={"retry_schedule": ["1h"]})
        qid = srv.send(SENDER, ["u@provider.test"], make_message("never", sender=SENDER, to="u@provider.test"))
        self.wait_delivery(srv, qid, "u@provider.test", "failed")
        dsn = self.get_dsns(srv, SENDER, 1)[0]
        self.check_dsn(dsn, "u@provider.test", "failed", diagnostic="permanently deferred")

    def test_builtin_rules_and_bad_files(self):
        srv = self.start_server(start=False)
        r = srv.cli("check-config")
        self.assertEqual(r.returncode, 0, r.describe())
        bad = os.path.join(srv.tmp, "bad.toml")
        for text, message in (
                ('[[rule]]\nname = "x"\naction = "suspend"\ncode = 421\n', "rule[1].duration: expected how long"),
                ('[[rule]]\nname = "x"\naction = "explode"\ncode = 421\n', "rule[1].action"),
                ('[[rule]]\nname = "x"\naction = "throttle"\nfactor = 2\nrate = "1/s"\nduration = "1m"\ncode = 421\n',
                 "rule[1].factor: expected a number between 0 and 1"),
                ('[[rule]]\nname = "x"\naction = "fail"\ntext = "("\n', "rule[1].text: bad regular expression"),
                ('[[rule]]\nname = "x"\naction = "fail"\ncode = 421\nexample = "550 5.1.1 no"\n',
                 "does not match its own example")):
            with open(bad, "w") as f:
                f.write(text)
            srv.config["shaping"] = {"automation": bad}
            srv.write_config()
            r = srv.cli("check-config")
            self.assertEqual(r.returncode, 2, r.describe())
            self.assertIn(message, r.err, r.describe())


if __name__ == "__main__":
    import unittest
    unittest.main()
