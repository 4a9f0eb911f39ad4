"""Greylisting at RCPT TO ([greylist], docs/INBOUND.md "Greylisting"), as
Postfix with postgrey: the first attempt of a triplet (client, sender,
recipient) gets 451 4.7.1, a retry before the delay 451 again, a retry
after it 250 and the message reaches the local mailbox; the recipients of
one transaction are decided each on its own; whitelisted networks and
recipients, trusted (relay_networks) clients and domains not listed pass
at once; a client that passed auto_whitelist_after times passes at once;
the triplets live in the store and survive a restart. Delays are
sub-second. Clients take their source address from 127.0.0.2 and up
(Linux answers for all of 127.0.0.0/8) with /32 client networks, so each
test is a client of its own; only 127.0.0.1 is in relay_networks."""

import smtplib
import time

import harness
from harness import ServerTestCase

DELAY = 0.8   # seconds
USERS = ["alice@local.test", "bob@local.test", "dave@local.test", "erin@local.test", "carol@localhost"]


def config(**over):
    greylist = {
        "enabled": True, "domains": ["local.test"], "delay": "%dms" % int(DELAY * 1000),
        "retry_window": "30s", "lifetime": "1h", "whitelist_networks": ["127.0.0.9/32"],
        "whitelist_recipients": ["bob@local.test"], "auto_whitelist_after": 2, "network_prefix_v4": 32,
    }
    greylist.update(over)
    return {
        "relay": {"relay_networks": ["127.0.0.1/32", "::1/128"]},
        # No DNS in this test: the inbound checks would only wait on it.
        "inbound": {"spf": "off", "dkim": "off", "dmarc": "off"},
        "greylist": greylist,
    }


def metric(srv, result):
    return srv.counter("ringpost_greylist_total", result)


class GreylistBase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        if not harness.loopback_alias_ok("127.0.0.2"):
            harness.missing_dependency(None, "binding 127.0.0.2 as a source address")
        cls.srv = cls.start_class_server(config())
        for user in USERS:
            cls.srv.add_user(user)

    def client(self, source, sender="news@sender.test"):
        """A connection from `source` with EHLO and MAIL FROM done."""
        c = smtplib.SMTP("127.0.0.1", self.srv.port, local_hostname="mx.sender.test", timeout=20,
                         source_address=(source, 0))
        self.addCleanup(c.close)
        c.ehlo()
        code, text = c.mail(sender)
        self.assertEqual(code, 250, text)
        return c

    def rcpt(self, source, rcpt, sender="news@sender.test"):
        """One RCPT TO in a transaction of its own; returns (code, text)."""
        c = self.client(source, sender)
        code, text = c.rcpt(rcpt)
        c.quit()
        return code, text.decode("utf-8", "replace")

    def assertGreylisted(self, reply):
        code, text = reply
        self.assertEqual(code, 451, text)
        self.assertRegex(text, r"^4\.7\.1 .*Recipient address rejected: Greylisted, try again in \d+ seconds")

    def deliver(self, c, subject, to):
        code, text = c.data(harness.make_message(subject, sender="news@sender.test", to=to))
        self.assertEqual(code, 250, text)


class GreylistTest(GreylistBase):

    def test_first_attempt_waits_a_retry_after_the_delay_is_delivered(self):
        src = "127.0.0.2"
        greylisted_before = metric(self.srv, "greylisted")
        self.assertGreylisted(self.rcpt(src, "alice@local.test"))
        self.assertGreylisted(self.rcpt(src, "alice@local.test"))   # too early
        time.sleep(DELAY + 0.2)
        c = self.client(src)
        self.assertEqual(c.rcpt("alice@local.test")[0], 250)
        self.deliver(c, "greylist-retry", "alice@local.test")
        entries = self.srv.wait_mailbox("alice@local.test", 1)
        self.assertEqual(len(entries), 1, "not delivered")
        self.assertIn(b"greylist-retry", self.srv.mailbox_show("alice@local.test", entries[0][0]))
        # Confirmed: the next message passes at once.
        self.assertEqual(self.rcpt(src, "alice@local.test")[0], 250)
        self.assertGreaterEqual(metric(self.srv, "greylisted") - greylisted_before, 2)
        self.assertGreaterEqual(metric(self.srv, "passed"), 1)
        self.assertTrue(self.srv.wait_log(lambda e: e.get("event") == "greylist" and e.get("result") == "passed"
                                          and e.get("client") == src))

    def test_each_recipient_of_a_transaction_is_decided_on_its_own(self):
        src = "127.0.0.3"
        self.assertGreylisted(self.rcpt(src, "dave@local.test"))
        time.sleep(DELAY + 0.2)
        c = self.client(src)
        self.assertEqual(c.rcpt("dave@local.test")[0], 250)
        code, text = c.rcpt("erin@local.test")   # its first attempt
        self.assertGreylisted((code, text.decode()))
        self.deliver(c, "greylist-one-of-two", "dave@local.test")
        self.assertEqual(len(self.srv.wait_mailbox("dave@local.test", 1)), 1)
        self.assertEqual(self.srv.mailbox_list("erin@local.test"), [])

    def test_whitelisted_networks_and_recipients_pass_at_once(self):
        self.assertEqual(self.rcpt("127.0.0.9", "alice@local.test")[0], 250)
        self.assertEqual(self.rcpt("127.0.0.4", "bob@local.test")[0], 250)
        self.assertGreylisted(self.rcpt("127.0.0.4", "alice@local.test"))

    def test_trusted_clients_and_domains_not_listed_are_not_greylisted(self):
        self.assertEqual(self.rcpt("127.0.0.1", "alice@local.test", sender="x@trusted.test")[0], 250)
        self.assertEqual(self.rcpt("127.0.0.5", "carol@localhost")[0], 250)
        self.assertGreylisted(self.rcpt("127.0.0.5", "alice@local.test"))

    def test_a_client_that_passed_twice_is_auto_whitelisted(self):
        src = "127.0.0.6"
        for rcpt in ("alice@local.test", "dave@local.test"):   # each pass at least a delay apart
            self.assertGreylisted(self.rcpt(src, rcpt))
            time.sleep(DELAY + 0.2)
            self.assertEqual(self.rcpt(src, rcpt)[0], 250)
        self.assertEqual(self.rcpt(src, "alice@local.test", sender="other@elsewhere.test")[0], 250)
        self.assertGreaterEqual(metric(self.srv, "auto_whitelisted"), 1)


class GreylistRestartTest(GreylistBase):

    def test_a_triplet_survives_a_restart(self):
        src = "127.0.0.7"
        self.assertGreylisted(self.rcpt(src, "alice@local.test"))
        self.srv.stop()
        self.srv.start()
        self.assertTrue(self.srv.wait_log(lambda e: e.get("event") == "greylist" and e.get("records") == "1"))
        time.sleep(DELAY + 0.2)
        # Passes: had the triplet been lost, this would be a first attempt (451).
        self.assertEqual(self.rcpt(src, "alice@local.test")[0], 250)


if __name__ == "__main__":
    import unittest
    unittest.main()
