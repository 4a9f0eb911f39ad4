"""Expensive IMAP commands must not stall other clients (issue 11 item 4).

Four IMAP sessions send LIST with adversarial patterns ("(*a)*15000 b", the
issue's example, over mailboxes with long names; and patterns just within
the wildcard limit) and SEARCH BODY with a 4,000-byte needle over a 1 MiB
body, in a bounded loop. Meanwhile another client's SMTP greeting and a whole
transaction must each complete within STALL_BOUND seconds: protocol work on
a ring thread must stay short, whatever one user asks for.

Every loop is bounded by a count and a deadline.
"""

import threading
import time

import harness
from harness import ServerTestCase, make_message
from retrieval import RawImap

PASSWORD = "stall-secret-1"
USER = "heavy@localhost"
SESSIONS = 4
ROUNDS = 3                  # command rounds per session
LONG_NAME = 1000            # bytes of each long mailbox name
LONG_NAMES = 40
STALL_BOUND = 2.0           # seconds for an SMTP greeting, and for a transaction
SMTP_PROBES = 8
RUN_DEADLINE = 120.0        # everything together, even on an unfixed server

OVER_LIMIT = "*a" * 15000 + " b"            # the pattern: more wildcards than allowed
WITHIN_LIMIT = "*a" * 998 + "%/*"           # 1,000 wildcards: allowed, and matched quickly
NEEDLE = ("needle-%04d " % 7) * 333 + "x" * 4   # 4,000 bytes


def body_lines():
    """About 1 MiB of text lines with the needle near the end."""
    line = "the quick brown fox jumps over the lazy dog " * 2   # 90 bytes
    lines = [line] * 11600
    lines.append(NEEDLE)
    lines.append("end")
    return lines


class ImapStallTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def prepare(self):
        self.srv.add_user(USER, PASSWORD)
        self.srv.add_user("bystander@localhost")
        c = self.srv.smtp()
        try:
            harness.send_on(c, "sender@example.org", [USER], make_message("big", body_lines(), to=USER))
        finally:
            c.quit()
        self.srv.wait_mailbox(USER, 1)
        setup = RawImap(self.srv.imap_port, timeout=30)
        try:
            setup.login(USER, PASSWORD)
            for i in range(LONG_NAMES):
                setup.ok('CREATE "%s/%02d"' % ("a" * LONG_NAME, i))
        finally:
            setup.close()

    def heavy_session(self, started, errors, answers):
        try:
            c = RawImap(self.srv.imap_port, timeout=RUN_DEADLINE)
            try:
                c.login(USER, PASSWORD)
                c.ok("SELECT INBOX")
                started.release()
                deadline = time.monotonic() + RUN_DEADLINE
                for _ in range(ROUNDS):
                    if time.monotonic() > deadline:
                        break
                    tagged, _ = c.command('LIST "" "%s"' % OVER_LIMIT)
                    answers.append(("over", tagged.first))
                    tagged, untagged = c.command('LIST "" "%s"' % WITHIN_LIMIT)
                    answers.append(("within", tagged.first, len(untagged)))
                    tagged, untagged = c.command('SEARCH BODY "%s"' % NEEDLE)
                    answers.append(("search", tagged.first, [u.raw for u in untagged]))
            finally:
                c.close()
        except Exception as e:   # reported by the main thread
            errors.append(repr(e))
            started.release()

    def test_smtp_stays_responsive_during_expensive_imap_commands(self):
        self.prepare()
        started = threading.Semaphore(0)
        errors, answers = [], []
        workers = [threading.Thread(target=self.heavy_session, args=(started, errors, answers), daemon=True)
                   for _ in range(SESSIONS)]
        for w in workers:
            w.start()
        for _ in workers:
            self.assertTrue(started.acquire(timeout=30), "IMAP sessions did not log in")
        greetings, transactions = [], []
        for i in range(SMTP_PROBES):
            if not any(w.is_alive() for w in workers):
                break
            t0 = time.monotonic()
            c = self.srv.smtp(timeout=RUN_DEADLINE, ehlo=False)
            t1 = time.monotonic()
            try:
                c.ehlo()
                harness.send_on(c, "sender@example.org", ["bystander@localhost"],
                                make_message("probe %d" % i, to="bystander@localhost"))
            finally:
                c.quit()
            greetings.append(t1 - t0)
            transactions.append(time.monotonic() - t1)
        for w in workers:
            w.join(RUN_DEADLINE)
        self.assertEqual(errors, [])
        self.assertTrue(greetings, "no SMTP probe ran while the IMAP sessions worked")
        print("\n[stall] %d probes: greeting max %.3fs, transaction max %.3fs"
              % (len(greetings), max(greetings), max(transactions)), flush=True)
        self.assertLess(max(greetings), STALL_BOUND, "SMTP greetings %r" % greetings)
        self.assertLess(max(transactions), STALL_BOUND, "SMTP transactions %r" % transactions)
        # The answers are right, not merely quick.
        for a in answers:
            if a[0] == "over":
                self.assertIn(b" BAD ", a[1])
                self.assertIn(b"Too many wildcards", a[1])
            elif a[0] == "within":
                self.assertIn(b" OK ", a[1])
                self.assertEqual(a[2], LONG_NAMES)
            else:
                self.assertIn(b" OK ", a[1])
                self.assertEqual(a[2], [b"* SEARCH 1"])
        self.assertEqual(len(answers), SESSIONS * ROUNDS * 3)
