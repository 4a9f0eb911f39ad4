"""Bounce classification (issue 13, item 6): the class of a failure or deferral in the delivery log (class=), in
the DSN (X-Ringpost-Bounce-Class: and the text) and in `queue list` / `queue show`; the user's rules
(delivery.bounce_rules) before the built-in ones; a bad rules file stops check-config. Each remote server is a
ScriptedServer behind a static route, answering RCPT the way the test needs."""

import os
import shutil
import tempfile

from harness import make_message
from delivery_base import DeliveryTestCase
from scripted_server import ScriptedServer
from sink import free_port_on

SENDER = "sender@localhost"
RCPT = "u@bad.test"


def refusing_rcpt(reply):
    """A server that takes MAIL and answers RCPT with `reply` (the client then ends the transaction)."""
    return [("send", "220 scripted.test ESMTP"),
            ("expect", "EHLO"), ("send", "250-scripted.test", "250 ENHANCEDSTATUSCODES"),
            ("expect", "MAIL"), ("send", "250 2.1.0 ok"),
            ("expect", "RCPT"), ("send", reply)]


class BounceClassTest(DeliveryTestCase):
    ZONE = {}

    def setUp(self):
        super().setUp()
        self.scripts = []
        self.dir = tempfile.mkdtemp(prefix="ringpost-bounce-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def server_diagnostics(self):
        return "\n".join([super().server_diagnostics()] + [s.describe() for s in self.scripts])

    def scripted(self, script):
        port = free_port_on(["127.0.0.1"])
        srv = ScriptedServer("127.0.0.1", port, script)
        self.addCleanup(srv.stop)
        srv.start()
        self.scripts.append(srv)
        return srv

    def rules_file(self, text):
        path = os.path.join(self.dir, "bounce-rules.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def ringpost_to(self, port, **delivery):
        d = {"routes": {"bad.test": "[127.0.0.1]:%d" % port}, "retry_schedule": ["1h"]}
        d.update(delivery)
        return self.delivery_server(delivery=d, users=[SENDER])

    def send_one(self, srv, subject):
        return srv.send(SENDER, [RCPT], make_message(subject, ["body"], sender=SENDER, to=RCPT))

    def assert_failure_dsn_class(self, srv, klass):
        dsn = self.get_dsns(srv, SENDER, 1)[0]
        block = self.check_dsn(dsn, RCPT, "failed", "5.1.1", diagnostic="550")
        self.assertEqual(block.get("x-ringpost-bounce-class"), klass, dsn.describe())
        self.assertIn(b"(bounce class: %s)" % klass.encode(), dsn.human or b"", dsn.describe())

    # --- failures ---

    def test_unknown_user_is_invalid_recipient_in_log_and_dsn(self):
        script = self.scripted(refusing_rcpt("550 5.1.1 <u@bad.test>: no such user"))
        srv = self.ringpost_to(script.port)
        qid = self.send_one(srv, "no such user")
        ev = self.wait_delivery(srv, qid, RCPT, "failed")
        self.assertEqual(ev.get("class"), "invalid-recipient", ev)
        self.assertEqual(ev.get("dsn"), "5.1.1", ev)
        self.assert_failure_dsn_class(srv, "invalid-recipient")

    def test_a_user_rule_overrides_the_defaults(self):
        # The built-in rules say invalid-recipient; this site knows better.
        rules = self.rules_file('[[rule]]\nclass = "inactive-mailbox"\ncode = 550\ntext = \'no such user\'\n')
        script = self.scripted(refusing_rcpt("550 5.1.1 <u@bad.test>: no such user"))
        srv = self.ringpost_to(script.port, bounce_rules=rules)
        qid = self.send_one(srv, "user rule")
        ev = self.wait_delivery(srv, qid, RCPT, "failed")
        self.assertEqual(ev.get("class"), "inactive-mailbox", ev)
        self.assert_failure_dsn_class(srv, "inactive-mailbox")

    def test_a_failure_without_a_reply_is_classified_too(self):
        closed = free_port_on(["127.0.0.1"])   # nothing listens: connection refused
        srv = self.ringpost_to(closed)
        qid = self.send_one(srv, "nobody there")
        ev = self.wait_delivery(srv, qid, RCPT, "deferred")
        self.assertEqual(ev.get("class"), "routing", ev)

    # --- deferrals ---

    def test_mailbox_full_deferral_in_log_and_queue(self):
        script = self.scripted(refusing_rcpt("452 4.2.2 <u@bad.test>: Mailbox full"))
        srv = self.ringpost_to(script.port)
        qid = self.send_one(srv, "mailbox full")
        ev = self.wait_delivery(srv, qid, RCPT, "deferred")
        self.assertEqual(ev.get("class"), "mailbox-full", ev)
        ok, entries = srv.wait_queue(lambda es: any(e["qid"] == qid and e["last_error"] for e in es), timeout=5)
        self.assertTrue(ok, "queue list should show %s with last_error=: %r" % (qid, [e["line"] for e in entries]))
        e = next(e for e in entries if e["qid"] == qid)
        self.assertIn("452 4.2.2", e["last_error"], e["line"])
        self.assertEqual(e["class"], "mailbox-full", e["line"])
        envelope, _ = srv.queue_show(qid)
        self.assertIn(" attempts=1 class=mailbox-full last_reply=452 4.2.2", envelope)
        self.assertNoDsn(srv, qid, SENDER, settle=0.3)

    # --- the rules file ---

    def test_a_bad_rules_file_fails_check_config(self):
        rules = self.rules_file('[[rule]]\nclass = "policy"\n\n[[rule]]\nclass = "policy"\ntext = "(unclosed"\n')
        srv = self.start_server({"delivery": {"bounce_rules": rules}}, start=False)
        r = srv.cli("check-config")
        self.assertEqual(r.returncode, 2, r.describe())
        err = r.err
        self.assertIn("delivery.bounce_rules: %s: rule[1]: give at least one of code, enhanced and text" % rules,
                      err, r.describe())
        rules = self.rules_file('[[rule]]\nclass = "policy"\ntext = "(unclosed"\n')
        r = srv.cli("check-config")
        self.assertEqual(r.returncode, 2, r.describe())
        self.assertIn("%s: rule[1].text: bad regular expression" % rules, r.err, r.describe())
        self.rules_file('[[rule]]\nclass = "policy"\ntext = "blocked"\n')
        r = srv.cli("check-config")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertIn("bounce_rules: %s (1 rule), then " % rules, r.out, r.describe())


if __name__ == "__main__":
    import unittest
    unittest.main()
