"""Sessions of one user at once: one IMAP session flags, expunges, moves and
appends while others watch the same INBOX with NOOP and IDLE and must keep a
consistent view (EXISTS / EXPUNGE / FETCH FLAGS, RFC 3501 7.3.1, 7.4.1,
5.2); and a POP3 session holding the maildrop lock while IMAP reads and
writes the same INBOX.

Every loop is bounded by a count and a deadline; the seed is printed and can
be set with RINGPOST_CONCURRENCY_SEED.
"""

import os
import random
import re
import threading
import time

import harness
import retrieval
from harness import ServerTestCase, make_message
from retrieval import RawImap, RawPop3, fetch_items, flag_set

PASSWORD = "conc-secret-1"
SEED = int(os.environ.get("RINGPOST_CONCURRENCY_SEED", "4711"))
WRITER_OPS = 90            # operations of the writing session
RUN_DEADLINE = 25.0        # seconds for the writer and the watchers together
SETTLE = 5.0               # seconds a watcher may take to catch up after the last write

NO_EXPUNGE_DURING = re.compile(r"^(FETCH|STORE|SEARCH)\b", re.I)
UNTAGGED_NUM = re.compile(rb"^\* (\d+) (EXISTS|EXPUNGE|FETCH|RECENT)\b")


class ViewError(AssertionError):
    pass


class View:
    """A session's idea of the selected INBOX: sequence number -> UID and
    flags, maintained only from the server's untagged responses."""

    def __init__(self, name):
        self.name = name
        self.uids = []        # index seq-1 -> uid (None: announced by EXISTS, UID not fetched yet)
        self.flags = {}       # uid -> frozenset
        self.counts = {b"EXISTS": 0, b"EXPUNGE": 0, b"FETCH": 0}

    def fail(self, text, conn):
        raise ViewError("%s: %s\nview: %d messages %r\n%s" % (self.name, text, len(self.uids), self.uids[-20:],
                                                               conn.transcript()))

    def apply(self, responses, conn, unsolicited=False):
        """unsolicited: responses to NOOP / IDLE, counted per kind."""
        for r in responses:
            m = UNTAGGED_NUM.match(r.raw)
            if not m:
                continue
            n, what = int(m.group(1)), m.group(2)
            if unsolicited and what in self.counts:
                self.counts[what] += 1
            if what == b"EXPUNGE":
                if not 1 <= n <= len(self.uids):
                    self.fail("* %d EXPUNGE outside 1..%d" % (n, len(self.uids)), conn)
                uid = self.uids.pop(n - 1)
                self.flags.pop(uid, None)
            elif what == b"EXISTS":
                if n < len(self.uids):
                    # RFC 3501 7.3.1: EXISTS cannot shrink the mailbox; only EXPUNGE removes.
                    self.fail("* %d EXISTS after the view had %d messages (no EXPUNGE for the rest)"
                              % (n, len(self.uids)), conn)
                self.uids.extend([None] * (n - len(self.uids)))
            elif what == b"FETCH":
                if not 1 <= n <= len(self.uids):
                    self.fail("* %d FETCH outside 1..%d" % (n, len(self.uids)), conn)
                _, items = fetch_items(r)
                uid = self.uids[n - 1]
                if b"UID" in items:
                    got = int(items[b"UID"])
                    if uid is None:
                        self.uids[n - 1] = uid = got
                    elif got != uid:
                        self.fail("* %d FETCH says UID %d, the view has UID %d there" % (n, got, uid), conn)
                if b"FLAGS" in items and uid is not None:
                    self.flags[uid] = flag_set(items[b"FLAGS"])
        known = [u for u in self.uids if u is not None]
        if known != sorted(known) or len(set(known)) != len(known):
            self.fail("UIDs are not strictly ascending in sequence order", conn)

    def run(self, conn, text, literal=None, expect_ok=True, unsolicited=False):
        """Send a command and apply every untagged response it brings to the
        view, whatever the command (RFC 3501 7: EXISTS and FETCH flags may
        follow any command, EXPUNGE any but FETCH, STORE and SEARCH)."""
        tagged, untagged = conn.command(text, literal)
        status = tagged.first.split(b" ")[1:2]
        if expect_ok and status != [b"OK"]:
            self.fail("%s -> %r" % (text, tagged), conn)
        if status == [b"BAD"] and not expect_ok:
            self.fail("%s -> %r" % (text, tagged), conn)
        if NO_EXPUNGE_DURING.match(text) and any(re.match(rb"^\* \d+ EXPUNGE", r.raw) for r in untagged):
            self.fail("EXPUNGE sent during %s (RFC 3501 7.4.1 forbids it)" % text.split()[0], conn)
        self.apply(untagged, conn, unsolicited)
        return tagged, untagged

    def resolve(self, conn):
        """Learn the UIDs (and flags) of messages that EXISTS announced."""
        for _ in range(3):
            missing = [i + 1 for i, u in enumerate(self.uids) if u is None]
            if not missing:
                return
            self.run(conn, "FETCH %d:%d (UID FLAGS)" % (missing[0], missing[-1]))
        self.fail("FETCH (UID FLAGS) left UIDs unknown", conn)

    def select(self, conn, mailbox="INBOX"):
        self.uids, self.flags = [], {}
        self.run(conn, "SELECT " + mailbox)
        self.resolve(conn)

    def noop(self, conn):
        self.run(conn, "NOOP", unsolicited=True)
        self.resolve(conn)

    def state(self):
        return [(u, self.flags.get(u)) for u in self.uids]


def truth(port, user):
    """[(uid, flags)] of the INBOX as a fresh session sees it."""
    c = RawImap(port)
    try:
        c.login(user, PASSWORD)
        c.ok("EXAMINE INBOX")
        _, untagged = c.ok("FETCH 1:* (UID FLAGS)")
        out = []
        for r in untagged:
            seq, items = fetch_items(r)
            if seq is not None:
                out.append((seq, int(items[b"UID"]), flag_set(items[b"FLAGS"])))
        out.sort()
        if [s for s, _, _ in out] != list(range(1, len(out) + 1)):
            raise AssertionError("FETCH 1:* did not answer every sequence number once: %r" % [s for s, _, _ in out])
        return [(u, f) for _, u, f in out]
    finally:
        c.close()


def diff_states(a, b):
    da, db = dict(a), dict(b)
    only_a = sorted(set(da) - set(db))
    only_b = sorted(set(db) - set(da))
    flags = [(u, sorted(da[u]) if da[u] is not None else None, sorted(db[u])) for u in sorted(set(da) & set(db))
             if da[u] != db[u]]
    order = [u for u, _ in a] != [u for u, _ in b]
    return "only in view %s; only on server %s; flag differences (uid, view, server) %s; order differs: %s" % (
        only_a[:20], only_b[:20], flags[:20], order)


class ImapConcurrencyTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def fill(self, user, n):
        self.srv.add_user(user, PASSWORD)
        c = self.srv.smtp()
        try:
            for i in range(n):
                harness.send_on(c, "sender@example.org", [user],
                                make_message("msg %d" % i, ["body %d" % i, "." * (i % 3)] + ["x" * 60] * (i % 7),
                                             to=user))
        finally:
            c.quit()
        entries = self.srv.wait_mailbox(user, n)
        self.assertEqual(len(entries), n)
        dump = retrieval.imap_dump(self.srv.imap_port, user, PASSWORD)
        return {uid: body for uid, (_, body) in dump.items()}

    def session(self, user):
        c = RawImap(self.srv.imap_port, timeout=15)
        self.addCleanup(c.close)
        c.login(user, PASSWORD)
        return c

    # ------------------------------------------------------------------
    def test_watchers_follow_a_writer_with_noop_and_idle(self):
        user = "crowd@localhost"
        known = self.fill(user, 40)       # uid -> bytes, grows with APPENDs and deliveries
        known_lock = threading.Lock()
        rng = random.Random(SEED)
        print("\n[concurrency] seed %d (RINGPOST_CONCURRENCY_SEED)" % SEED, flush=True)
        writer = self.session(user)
        wview = View("writer")
        wview.select(writer)
        watchers = [(self.session(user), View("noop-%d" % i), "noop") for i in range(2)]
        watchers.append((self.session(user), View("idle"), "idle"))
        for conn, view, _ in watchers:
            view.select(conn)
        stop = threading.Event()
        errors = []
        fetch_outcomes = []   # (watcher, uid, "data" or the tagged status without data)
        deadline = time.monotonic() + RUN_DEADLINE

        def check_fetch(conn, view, wrng):
            if not view.uids:
                return
            seq = wrng.randrange(1, len(view.uids) + 1)
            uid = view.uids[seq - 1]
            tagged, untagged = view.run(conn, "FETCH %d (UID BODY.PEEK[])" % seq, expect_ok=False)
            status = tagged.first.split(b" ")[1]
            if status == b"BAD":
                view.fail("FETCH %d -> %r" % (seq, tagged), conn)
            data = None
            for r in untagged:
                s, items = fetch_items(r)
                if s == seq and b"BODY[]" in items:
                    got = int(items[b"UID"]) if b"UID" in items else None
                    if got != uid:
                        view.fail("FETCH %d returned UID %s, the view has %s there" % (seq, got, uid), conn)
                    data = items[b"BODY[]"]
            if status == b"OK" and data is not None:
                with known_lock:
                    want = known.get(uid)
                if want is not None and data != want:
                    view.fail("FETCH %d (uid %d): BODY[] is not the message's content (%d vs %d octets)"
                              % (seq, uid, len(data), len(want)), conn)
            fetch_outcomes.append((view.name, uid, "data" if data is not None else status.decode()))

        def noop_watcher(conn, view, k):
            wrng = random.Random(SEED * 10 + k)
            try:
                for i in range(2000):
                    if stop.is_set() or time.monotonic() > deadline:
                        break
                    view.noop(conn)
                    if i % 3 == 0:
                        check_fetch(conn, view, wrng)
                    time.sleep(0.005)
            except Exception as e:
                errors.append(e)

        def idle_watcher(conn, view):
            try:
                for _ in range(200):
                    if stop.is_set() or time.monotonic() > deadline:
                        break
                    self.idle_once(conn, view, 0.5)
                    view.resolve(conn)
            except Exception as e:
                errors.append(e)

        threads = []
        for k, (conn, view, kind) in enumerate(watchers):
            if kind == "noop":
                threads.append(threading.Thread(target=noop_watcher, args=(conn, view, k)))
            else:
                threads.append(threading.Thread(target=idle_watcher, args=(conn, view)))
        for t in threads:
            t.start()
        moved = []
        try:
            self.write(writer, wview, rng, known, known_lock, moved, user, deadline)
        finally:
            stop.set()
            for t in threads:
                t.join(RUN_DEADLINE + 15)
        self.assertFalse(any(t.is_alive() for t in threads), "a watcher thread did not stop")
        if errors:
            raise errors[0]

        final = truth(self.srv.imap_port, user)
        self.assertGreater(len(final), 0)
        wview.noop(writer)
        self.assertEqual(wview.state(), final, "writer's view vs the server: " + diff_states(wview.state(), final))
        for conn, view, kind in watchers:
            t0 = time.monotonic()
            while True:
                if kind == "idle":
                    self.idle_once(conn, view, 0.5)
                    view.resolve(conn)
                else:
                    view.noop(conn)
                if view.state() == final or time.monotonic() - t0 > SETTLE:
                    break
                time.sleep(0.05)
            self.assertEqual(view.state(), final, "%s's view %.1fs after the last write vs the server: %s"
                             % (view.name, time.monotonic() - t0, diff_states(view.state(), final)))
            for what in (b"EXPUNGE", b"FETCH", b"EXISTS"):
                self.assertGreater(view.counts[what], 0, "%s never saw an untagged %s" % (view.name, what.decode()))
        # A FETCH may say NO for a message another session expunged (RFC 2180
        # 4.1.2), but never for one that still exists.
        present = {u for u, _ in final}
        lost = [(w, u, o) for w, u, o in fetch_outcomes if o != "data" and u in present]
        self.assertEqual(lost, [], "FETCH without data for messages that were never expunged")
        self.assertGreater(sum(1 for *_, o in fetch_outcomes if o == "data"), 10)
        # The moved messages are in Trash, byte for byte.
        trash = retrieval.imap_dump(self.srv.imap_port, user, PASSWORD, "Trash")
        self.assertEqual(sorted(b for _, b in trash.values()), sorted(known[u] for u in moved),
                         "Trash holds exactly the moved messages")
        print("[concurrency] writer did %d ops; final INBOX %d messages; watchers saw %s; their FETCHes: %d with "
              "data, %d without (message expunged meanwhile)" % (
                  WRITER_OPS, len(final), ", ".join("%s %s" % (v.name, {k.decode(): n for k, n in v.counts.items()})
                                                    for _, v, _ in watchers),
                  sum(1 for *_, o in fetch_outcomes if o == "data"),
                  sum(1 for *_, o in fetch_outcomes if o != "data")), flush=True)

    def idle_once(self, conn, view, seconds):
        """IDLE for about `seconds`, applying what arrives, then DONE."""
        tag = conn.tag()
        conn.send(tag.encode() + b" IDLE\r\n")
        pending = []
        while True:
            r = conn.read()
            if r.kind == "continuation":
                break
            if r.raw.startswith(tag.encode() + b" "):
                view.fail("IDLE refused: %r" % r, conn)
            pending.append(r)
        view.apply(pending, conn, unsolicited=True)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                r = conn.read(timeout=max(0.01, end - time.monotonic()))
            except OSError:   # socket.timeout: nothing more for now
                break
            if r.kind != "untagged":
                view.fail("during IDLE: %r" % r, conn)
            view.apply([r], conn, unsolicited=True)
        conn.send(b"DONE\r\n")
        tagged, untagged = conn.collect(tag)
        if tagged.first.split(b" ")[1] != b"OK":
            view.fail("IDLE ... DONE -> %r" % tagged, conn)
        view.apply(untagged, conn, unsolicited=True)

    def write(self, c, view, rng, known, known_lock, moved, user, deadline):
        appended = 0
        deleted = set()     # uids this session set \Deleted on (silently) and not yet expunged
        for i in range(WRITER_OPS):
            if time.monotonic() > deadline:
                break
            n = len(view.uids)
            op = rng.choice(["flag", "flag", "unflag", "uidstore", "expunge", "move", "append", "deliver",
                             "uidexpunge"])
            if n < 8 and op in ("expunge", "move", "uidexpunge"):
                op = "append"
            if op == "flag":
                seq = rng.randrange(1, n + 1)
                _, untagged = view.run(c, "STORE %d +FLAGS (\\Flagged)" % seq)
                self.assertIn(b"\\Flagged", view.flags[view.uids[seq - 1]], "STORE answers with the new FLAGS")
            elif op == "unflag":
                seq = rng.randrange(1, n + 1)
                _, untagged = view.run(c, "STORE %d -FLAGS (\\Flagged \\Seen)" % seq)
            elif op == "uidstore":
                a = rng.randrange(0, n)
                b = min(n - 1, a + rng.randrange(0, 4))
                _, untagged = view.run(c, "UID STORE %d:%d +FLAGS.SILENT (\\Answered)" % (view.uids[a], view.uids[b]))
                # .SILENT: no FETCH comes back for our own change (RFC 3501 6.4.6).
                for u in view.uids[a:b + 1]:
                    view.flags[u] = view.flags[u] | {b"\\Answered"}
            elif op == "expunge":
                seqs = sorted(rng.sample(range(1, n + 1), 2))
                view.run(c, "STORE %d,%d +FLAGS.SILENT (\\Deleted)" % tuple(seqs))
                deleted |= {view.uids[s - 1] for s in seqs}
                before = set(view.uids)
                view.run(c, "EXPUNGE")
                # Each "* n EXPUNGE" must be right for the view at the moment it
                # is sent (replaying them on the view checks that); together they
                # remove exactly the \Deleted messages.
                self.assertEqual(before - set(view.uids), deleted, "EXPUNGE removes exactly the \\Deleted messages\n"
                                 + c.transcript(8000))
                deleted.clear()
            elif op == "move":
                seq = rng.randrange(1, n + 1)
                uid = view.uids[seq - 1]
                tagged, untagged = view.run(c, "UID MOVE %d Trash" % uid)
                deleted.discard(uid)
                self.assertNotIn(uid, view.uids, "UID MOVE expunges the message from this session's view")
                moved.append(uid)
            elif op == "append":
                appended += 1
                msg = make_message("appended %d" % appended, ["appended by the writer", ".", "line %d" % i],
                                   msgid="<app-%d-%d@client.test>" % (SEED, i))
                tagged, untagged = view.run(c, "APPEND INBOX (\\Seen)", literal=msg)
                m = re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged.raw)
                self.assertIsNotNone(m, "APPEND answers APPENDUID (UIDPLUS): %r" % tagged)
                with known_lock:
                    known[int(m.group(1))] = msg
            elif op == "deliver":
                self.srv.send("sender@example.org", [user], make_message("delivered %d" % i, ["pushed"], to=user))
            elif op == "uidexpunge":
                a, b = sorted(rng.sample(range(n), 2))
                ua, ub = view.uids[a], view.uids[b]
                view.run(c, "UID STORE %d,%d +FLAGS.SILENT (\\Deleted)" % (ua, ub))
                _, untagged = view.run(c, "UID EXPUNGE %d" % ua)
                self.assertNotIn(ua, view.uids)
                self.assertIn(ub, view.uids, "UID EXPUNGE removes only the UIDs it names (RFC 4315 2.1)")
                deleted.discard(ua)
                deleted.add(ub)
                view.flags[ub] = view.flags[ub] | {b"\\Deleted"}
                # Leave ub \Deleted: watchers must see that flag too.
            view.noop(c)
            # Content of delivered messages, for the watchers' FETCH checks.
            with known_lock:
                new = [u for u in view.uids if u not in known]
            for u in new:
                _, untagged = view.run(c, "UID FETCH %d (BODY.PEEK[])" % u)
                for r in untagged:
                    _, items = fetch_items(r)
                    if items and b"BODY[]" in items:
                        with known_lock:
                            known[u] = items[b"BODY[]"]
            time.sleep(rng.random() * 0.02)

    # ------------------------------------------------------------------
    def test_pop3_lock_while_imap_reads_and_writes(self):
        user = "shared@localhost"
        known = self.fill(user, 10)
        uids = sorted(known)
        pop = RawPop3(self.srv.pop3_port)
        self.addCleanup(pop.close)
        pop.login(user, PASSWORD)
        uidl = dict(pop.uidl_all())   # msg number -> "<uidvalidity>.<uid>"
        num_of = {int(u.split(b".")[1]): n for n, u in uidl.items()}
        self.assertEqual(sorted(num_of), uids)
        # The lock is held: a second POP3 login is refused ...
        other = RawPop3(self.srv.pop3_port)
        self.addCleanup(other.close)
        other.ok("USER " + user)
        r = other.cmd("PASS " + PASSWORD)
        self.assertTrue(r.startswith(b"-ERR [IN-USE]"), r)
        # ... but IMAP sessions read (and POP3 reads) at the same time, unhindered.
        errors = []

        def imap_reader(k):
            try:
                c = RawImap(self.srv.imap_port, timeout=10)
                try:
                    c.login(user, PASSWORD)
                    c.ok("EXAMINE INBOX")
                    for _ in range(5):
                        _, untagged = c.ok("UID FETCH 1:* (UID BODY.PEEK[])")
                        got = {}
                        for resp in untagged:
                            _, items = fetch_items(resp)
                            if items:
                                got[int(items[b"UID"])] = items[b"BODY[]"]
                        if got != known:
                            errors.append("IMAP reader %d: FETCH 1:* while POP3 holds the lock: %d messages, %d differ"
                                          % (k, len(got), sum(1 for u in got if got[u] != known.get(u))))
                            return
                finally:
                    c.close()
            except Exception as e:
                errors.append("IMAP reader %d: %r" % (k, e))

        t0 = time.monotonic()
        readers = [threading.Thread(target=imap_reader, args=(k,)) for k in range(3)]
        for t in readers:
            t.start()
        for n in range(1, 11):
            _, data = pop.retr(n)
            self.assertEqual(data, known[uids[n - 1]], "POP3 RETR %d while IMAP reads" % n)
        for t in readers:
            t.join(20)
        self.assertFalse(any(t.is_alive() for t in readers), "IMAP readers blocked by the POP3 lock")
        self.assertEqual(errors, [])
        self.assertLess(time.monotonic() - t0, 15)

        # IMAP writes while the maildrop is locked: a flag, and an expunge.
        c = self.session(user)
        view = View("imap")
        view.select(c)
        view.run(c, "UID STORE %d +FLAGS (\\Flagged)" % uids[0])
        gone = uids[2]
        view.run(c, "UID STORE %d +FLAGS.SILENT (\\Deleted)" % gone)
        view.run(c, "UID EXPUNGE %d" % gone)
        self.assertNotIn(gone, view.uids)
        # POP3's maildrop was listed before: RETR of the expunged message gives
        # either the message it listed (a snapshot) or -ERR; never other data.
        status, data = pop.retr(num_of[gone])
        if data is not None:
            self.assertEqual(data, known[gone], "RETR of a message IMAP expunged: %r" % status)
        else:
            self.assertTrue(status.startswith(b"-ERR"), status)
        # Other messages still read right.
        _, data = pop.retr(num_of[uids[5]])
        self.assertEqual(data, known[uids[5]])
        # POP3 deletes one message and the expunged one, and QUITs.
        dele = uids[7]
        pop.ok("DELE %d" % num_of[dele])
        r = pop.cmd("DELE %d" % num_of[gone])
        self.assertTrue(r.startswith(b"+OK") or r.startswith(b"-ERR"), r)
        print("\n[concurrency] POP3 after IMAP expunged a listed message: RETR -> %r, DELE -> %r"
              % (status, r), flush=True)
        r = pop.cmd("QUIT")
        self.assertTrue(r.startswith(b"+OK"), "QUIT after IMAP expunged a listed message: %r\n%s"
                        % (r, pop.transcript()))
        # The IMAP session hears of POP3's deletion at NOOP.
        deadline = time.monotonic() + SETTLE
        while dele in view.uids and time.monotonic() < deadline:
            view.noop(c)
            time.sleep(0.05)
        self.assertNotIn(dele, view.uids, "IMAP session sees POP3's DELE as EXPUNGE")
        final = truth(self.srv.imap_port, user)
        self.assertEqual(view.state(), final, diff_states(view.state(), final))
        self.assertEqual([u for u, _ in final], [u for u in uids if u not in (gone, dele)])
        self.assertIn(b"\\Flagged", dict(final)[uids[0]])
        rest = retrieval.imap_dump(self.srv.imap_port, user, PASSWORD)
        for u, (_, body) in rest.items():
            self.assertEqual(body, known[u])
        # The lock went with the session.
        again = RawPop3(self.srv.pop3_port)
        self.addCleanup(again.close)
        again.login(user, PASSWORD)
        self.assertEqual(len(again.uidl_all()), 8)
        again.ok("QUIT")

    # ------------------------------------------------------------------
    def test_idle_hears_flags_expunge_move_and_append_at_once(self):
        user = "idlewatch@localhost"
        self.fill(user, 6)
        w = self.session(user)
        wview = View("writer")
        wview.select(w)
        c = self.session(user)
        view = View("idle")
        view.select(c)
        tag = c.tag()
        c.send(tag.encode() + b" IDLE\r\n")
        r = c.read()
        self.assertEqual(r.kind, "continuation", "IDLE: %r" % r)
        latencies = []

        def expect(pattern, what):
            """Wait in IDLE (no DONE, no NOOP) for an untagged response matching pattern."""
            t0 = time.monotonic()
            seen = []
            while time.monotonic() - t0 < SETTLE:
                try:
                    resp = c.read(timeout=max(0.01, SETTLE - (time.monotonic() - t0)))
                except OSError:
                    break
                self.assertEqual(resp.kind, "untagged", "during IDLE: %r" % resp)
                view.apply([resp], c, unsolicited=True)
                seen.append(resp)
                if re.match(pattern, resp.raw):
                    latencies.append("%s %.0f ms" % (what, 1000 * (time.monotonic() - t0)))
                    return
            self.fail("IDLE session did not hear of the %s within %.0fs; it got %r\n%s"
                      % (what, SETTLE, seen, c.transcript()))

        wview.run(w, "STORE 2 +FLAGS (\\Flagged)")
        expect(rb"^\* 2 FETCH \((?:UID \d+ )?FLAGS \(\\Flagged\)", "flag change")
        wview.run(w, "STORE 3 +FLAGS.SILENT (\\Deleted)")
        wview.run(w, "EXPUNGE")
        expect(rb"^\* 3 EXPUNGE$", "expunge")
        wview.run(w, "UID MOVE %d Trash" % wview.uids[0])
        expect(rb"^\* 1 EXPUNGE$", "move")
        msg = make_message("appended while idling", ["x"])
        wview.run(w, "APPEND INBOX ()", literal=msg)
        expect(rb"^\* 5 EXISTS$", "append")
        c.send(b"DONE\r\n")
        tagged, untagged = c.collect(tag)
        self.assertTrue(tagged.first.startswith(tag.encode() + b" OK"), tagged)
        view.apply(untagged, c, unsolicited=True)
        view.resolve(c)
        final = truth(self.srv.imap_port, user)
        self.assertEqual(view.state(), final, diff_states(view.state(), final))
        print("\n[concurrency] IDLE latencies: %s" % ", ".join(latencies), flush=True)

    # ------------------------------------------------------------------
    def test_commands_on_a_message_another_session_expunged(self):
        """RFC 2180 4.1: until session B hears of the EXPUNGE (at NOOP), its
        sequence numbers still count the message. FETCH of it may give the
        old data or NO, STORE may succeed or NO; neither may touch or return
        another message, and the numbers of the others stay as B knows them."""
        user = "ghost@localhost"
        known = self.fill(user, 5)
        uids = sorted(known)
        a = self.session(user)
        aview = View("a")
        aview.select(a)
        b = self.session(user)
        bview = View("b")
        bview.select(b)
        aview.run(a, "UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[1])
        aview.run(a, "UID EXPUNGE %d" % uids[1])
        # B has not been told: message 2 is still uid 2 for it.
        tagged, untagged = bview.run(b, "FETCH 2:3 (UID BODY.PEEK[])", expect_ok=False)
        fetch_status = tagged.first
        self.assertNotEqual(tagged.first.split(b" ")[1], b"BAD", tagged)
        self.assertFalse([r for r in untagged if re.match(rb"^\* \d+ (EXPUNGE|EXISTS)", r.raw)],
                         "no EXPUNGE/EXISTS in the middle of FETCH (RFC 3501 7.4.1): %r" % untagged)
        got = {}
        for r in untagged:
            seq, items = fetch_items(r)
            if seq is not None and b"BODY[]" in items:
                got[seq] = (int(items[b"UID"]), items[b"BODY[]"])
        if 2 in got:
            self.assertEqual(got[2], (uids[1], known[uids[1]]), "FETCH 2 gives the expunged message or nothing")
        if tagged.first.split(b" ")[1] == b"OK":
            self.assertEqual(got.get(3), (uids[2], known[uids[2]]), "FETCH 3 is still the third message")
        tagged, untagged = bview.run(b, "STORE 2:3 +FLAGS (\\Flagged)", expect_ok=False)
        store_status = tagged.first
        self.assertNotEqual(tagged.first.split(b" ")[1], b"BAD", tagged)
        for r in untagged:
            seq, items = fetch_items(r)
            self.assertIn(seq, (2, 3), "STORE 2:3 answered for message %s: %r" % (seq, r))
            if b"UID" in items:
                self.assertEqual(int(items[b"UID"]), uids[seq - 1])
        tagged, untagged = bview.run(b, "UID SEARCH ALL")
        self.assertEqual(tagged.first.split(b" ")[1], b"OK", tagged)
        print("\n[concurrency] session B after A's expunge, before NOOP: FETCH 2:3 -> data for %s, %r; "
              "STORE 2:3 -> %r" % (sorted(got), fetch_status, store_status), flush=True)
        deadline = time.monotonic() + SETTLE   # the notice reaches B's ring asynchronously
        while True:
            bview.noop(b)
            if uids[1] not in bview.uids or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertNotIn(uids[1], bview.uids, "B hears of the EXPUNGE at NOOP")
        final = truth(self.srv.imap_port, user)
        self.assertEqual(bview.state(), final, diff_states(bview.state(), final))
        flags = dict(final)
        self.assertIn(b"\\Flagged", flags[uids[2]], "STORE 2:3 flagged the third message (B's number 3)")
        for u in (uids[0], uids[3], uids[4]):
            self.assertNotIn(b"\\Flagged", flags[u], "STORE 2:3 touched uid %d" % u)
