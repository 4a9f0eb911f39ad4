"""Crash safety: kill -9 under load; every message that got a 250 is there exactly once, byte for byte."""

import collections
import os
import random
import re
import smtplib
import threading
import time
import unittest

import harness
from harness import ServerTestCase, make_message

THREADS = 8              # half to a local user, half to remote (relay) addresses
LOAD_SECONDS = 2.0       # load before kill -9
MAX_MESSAGES = 2500      # per round; two rounds: at most 5000 in all
ROUND_DEADLINE = 12.0    # seconds per round, hard bound on the load loop
ROUNDS = 2
SAMPLES = 12             # messages per kind compared byte for byte per round
LOCAL_USER = "crash@localhost"
MARKER_RE = re.compile(r"crash-r\d+-(local|remote)-t\d+-m\d+-[0-9a-f]{8}")


class Load:
    def __init__(self, srv, rnd):
        self.srv = srv
        self.rnd = rnd
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.deadline = time.monotonic() + ROUND_DEADLINE
        self.budget = MAX_MESSAGES
        self.acked = {}        # marker -> qid
        self.attempted = {}    # marker -> (kind, rcpt, message)
        self.protocol_errors = []
        self.rejections = []

    def worker(self, t):
        kind = "local" if t % 2 == 0 else "remote"
        rcpt = LOCAL_USER if kind == "local" else "crash%d@remote.example" % t
        rng = random.Random(os.urandom(8))
        i = 0
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                c = smtplib.SMTP("127.0.0.1", self.srv.port, local_hostname="load%d.test" % t, timeout=5)
                c.ehlo()
            except (OSError, smtplib.SMTPException):
                return   # server gone
            try:
                while not self.stop.is_set() and time.monotonic() < self.deadline:
                    with self.lock:
                        if self.budget <= 0:
                            return
                        self.budget -= 1
                    marker = "crash-r%d-%s-t%d-m%d-%08x" % (self.rnd, kind, t, i, rng.getrandbits(32))
                    i += 1
                    filler = ["%s line %d %s" % (marker, k, "z" * rng.randrange(10, 70))
                              for k in range(rng.choice([2, 10, 60, 120]))]
                    msg = make_message(marker, filler, to=rcpt, msgid="<%s@load.test>" % marker)
                    with self.lock:
                        self.attempted[marker] = (kind, rcpt, msg)
                    code, resp = c.mail("load%d@example.org" % t)
                    if code != 250:
                        self.rejections.append(("MAIL", code, resp))
                        break
                    code, resp = c.rcpt(rcpt)
                    if code != 250:
                        self.rejections.append(("RCPT", code, resp))
                        c.rset()
                        continue
                    code, resp = c.data(msg)
                    if code == 250:
                        try:
                            qid = harness.parse_qid(resp.decode("utf-8", "replace"))
                        except AssertionError as e:
                            self.protocol_errors.append(str(e))
                            continue
                        with self.lock:
                            self.acked[marker] = qid
                    else:
                        self.rejections.append(("DATA", code, resp))
            except (OSError, smtplib.SMTPException):
                pass   # killed mid-transaction: expected
            finally:
                try:
                    c.close()
                except Exception:
                    pass

    def run_and_kill(self):
        threads = [threading.Thread(target=self.worker, args=(t,), daemon=True) for t in range(THREADS)]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        # Kill after LOAD_SECONDS, or earlier when 80% of the message budget is
        # used, so that the kill always lands while the clients are still sending.
        while time.monotonic() - t0 < LOAD_SECONDS:
            with self.lock:
                if self.budget <= MAX_MESSAGES // 5:
                    break
            time.sleep(0.01)
        with self.lock:
            n_before = len(self.acked)
        self.srv.kill()                      # kill -9 mid-load
        self.stop.set()
        for th in threads:
            th.join(10)
        return n_before, time.monotonic() - t0


class CrashTest(ServerTestCase):

    def test_kill_9_under_load(self):
        srv = self.start_server({"log": {"level": "warn"}})
        srv.add_user(LOCAL_USER)
        all_acked = {}        # marker -> (qid, kind, rcpt, message)
        all_attempted = {}    # marker -> (kind, rcpt, message)
        for rnd in range(1, ROUNDS + 1):
            load = Load(srv, rnd)
            n_before, took = load.run_and_kill()
            self.assertEqual(load.protocol_errors, [], "bad 250 replies under load")
            self.assertEqual(load.rejections[:5], [], "messages rejected under load (before the kill)")
            self.assertGreater(len(load.attempted), len(load.acked),
                               "round %d: no message was in flight at the kill -9 (all %d done): not a mid-load crash"
                               % (rnd, len(load.acked)))
            acked_local = sum(1 for m in load.acked if "-local-" in m)
            acked_remote = len(load.acked) - acked_local
            self.assertGreaterEqual(acked_local, 20, "round %d: too few local messages accepted in %.1fs (%d) "
                                    "for a meaningful crash test" % (rnd, took, acked_local))
            self.assertGreaterEqual(acked_remote, 20, "round %d: too few remote messages accepted (%d)"
                                    % (rnd, acked_remote))
            qids = list(load.acked.values())
            self.assertEqual(len(set(qids)), len(qids), "round %d: a queue ID was given twice" % rnd)
            for m, q in load.acked.items():
                kind, rcpt, msg = load.attempted[m]
                all_acked[m] = (q, kind, rcpt, msg)
            all_attempted.update(load.attempted)
            print("\n[crash round %d] %d attempted, %d acked (%d local, %d remote) in %.1fs before kill -9"
                  % (rnd, len(load.attempted), len(load.acked), acked_local, acked_remote, took), flush=True)

            srv.start()    # restart on the same data dir: recovery
            self.verify(srv, all_acked, all_attempted, rnd)

        # The restarted server works, and queue IDs keep increasing across restarts.
        msg = make_message("after crash", ["fine"])
        qid = srv.send("a@example.org", [LOCAL_USER], msg)
        self.assertGreater(qid, max(q for q, _, _, _ in all_acked.values()),
                           "queue IDs must keep increasing across restarts")
        harness.verify_local(self, srv, LOCAL_USER, "a@example.org", qid, msg, marker="after crash")
        srv.stop()

    def verify(self, srv, acked, attempted, rnd):
        acked_local = {m: v for m, v in acked.items() if v[1] == "local"}
        acked_remote = {m: v for m, v in acked.items() if v[1] == "remote"}

        # --- local: the user's INBOX (delivery from the spool may lag the restart a little) ---
        deadline = time.monotonic() + 15
        while True:
            entries = srv.mailbox_list(LOCAL_USER)
            counts = collections.Counter()
            by_marker = {}
            for mid, line in entries:
                m = MARKER_RE.search(line)
                self.assertIsNotNone(m, "mailbox list line without a test marker in the Subject: %r" % line)
                counts[m.group(0)] += 1
                by_marker[m.group(0)] = (mid, line)
            missing = [m for m in acked_local if counts[m] == 0]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(missing, [], "round %d: %d of %d acknowledged local messages are missing after kill -9 + "
                         "restart, e.g. %s (qid %s)" % (rnd, len(missing), len(acked_local), missing[:3],
                                                       [acked_local[m][0] for m in missing[:3]]))
        dups = {m: n for m, n in counts.items() if n > 1}
        self.assertEqual(dups, {}, "round %d: messages stored more than once in %s" % (rnd, LOCAL_USER))
        unknown = [m for m in counts if m not in attempted]
        self.assertEqual(unknown, [], "round %d: messages in the mailbox that were never sent" % rnd)
        for m in counts:
            self.assertEqual(attempted[m][0], "local", "a remote message landed in the local mailbox: %s" % m)
        for m in random.sample(sorted(acked_local), min(SAMPLES, len(acked_local))):
            qid, _, rcpt, msg = acked_local[m]
            mid, line = by_marker[m]
            data = srv.mailbox_show(LOCAL_USER, mid)
            _, received, rest = harness.split_mailbox_message(data, self.sender_of(m), LOCAL_USER)
            harness.check_received(self, received, qid)
            self.assertEqual(rest, msg, "round %d: stored bytes of %s (%s) differ" % (rnd, m, mid))

        # --- remote: waiting in the spool ---
        # Local recipients are delivered from the spool asynchronously; wait
        # until no spooled message still has a local recipient pending.
        ok, entries = srv.wait_queue(lambda es: not any(LOCAL_USER in e["rcpts"] for e in es), timeout=15)
        self.assertTrue(ok, "round %d: %d spooled messages still wait for local delivery to %s after 15s, e.g. %r"
                        % (rnd, sum(1 for e in entries if LOCAL_USER in e["rcpts"]), LOCAL_USER,
                           [e["line"] for e in entries if LOCAL_USER in e["rcpts"]][:3]))
        ids = [i for i, _ in srv.queue_list()]
        qcount = collections.Counter(ids)
        self.assertEqual({q: n for q, n in qcount.items() if n > 1}, {}, "queue list shows an ID twice")
        missing = [(m, v[0]) for m, v in acked_remote.items() if qcount[v[0]] == 0]
        self.assertEqual(missing, [], "round %d: %d of %d acknowledged remote messages missing from the queue"
                         % (rnd, len(missing), len(acked_remote)))
        acked_qids = {v[0] for v in acked_remote.values()}
        extras = [q for q in ids if q not in acked_qids]
        unacked_remote = [m for m, v in attempted.items() if v[0] == "remote" and m not in acked]
        self.assertLessEqual(len(extras), len(unacked_remote),
                             "round %d: more unacknowledged messages in the queue (%d) than were in flight (%d)"
                             % (rnd, len(extras), len(unacked_remote)))
        seen = set()
        for q in extras:
            env, stored = srv.queue_show(q)
            m = MARKER_RE.search(stored.decode("utf-8", "replace"))
            self.assertIsNotNone(m, "queue entry %s is not a test message:\n%s" % (q, env))
            m = m.group(0)
            self.assertIn(m, unacked_remote, "queue entry %s holds %s, which is acknowledged under another ID "
                          "(duplicate) or is not a remote message" % (q, m))
            self.assertNotIn(m, seen, "message %s queued twice" % m)
            seen.add(m)
        for m in random.sample(sorted(acked_remote), min(SAMPLES, len(acked_remote))):
            qid, _, rcpt, msg = acked_remote[m]
            env, stored = srv.queue_show(qid)
            self.assertIn(rcpt, env, "queue show %s: recipient missing:\n%s" % (qid, env))
            received, rest = harness.split_received(stored)
            harness.check_received(self, received, qid)
            self.assertEqual(rest, msg, "round %d: spooled bytes of %s (%s) differ" % (rnd, m, qid))

    @staticmethod
    def sender_of(marker):
        t = re.search(r"-t(\d+)-", marker).group(1)
        return "load%s@example.org" % t


if __name__ == "__main__":
    unittest.main()
