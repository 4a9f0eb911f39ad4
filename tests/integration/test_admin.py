"""The CLI works the same while `serve` runs (admin socket) and when it is stopped."""

import base64
import concurrent.futures
import json
import os
import re
import unittest

import harness
from harness import ServerTestCase, make_message, verify_local


class AdminTest(ServerTestCase):

    @staticmethod
    def run_cli_calls(srv, calls, check=0):
        """{key: CLI result} for {key: argv}, four processes at a time: the
        calls only read, and each (an ASan process, the store opened anew
        when the server is stopped) spends most of its second waiting."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = {k: pool.submit(srv.cli, *argv, check=check) for k, argv in calls.items()}
            return {k: f.result() for k, f in futures.items()}

    def snapshot(self, srv, qids, mids, users=("adm1", "adm2")):
        """Outputs of the read-only subcommands."""
        calls = {"user list": ("user", "list"), "queue list": ("queue", "list"), "queue stats": ("queue", "stats")}
        for u in users:
            calls["mailbox list " + u] = ("mailbox", "list", u + "@localhost")
        for q in qids:
            calls["queue show " + q] = ("queue", "show", q)
        for m in mids:
            calls["mailbox show " + m] = ("mailbox", "show", "adm1@localhost", m)
        snap = {k: r.stdout for k, r in self.run_cli_calls(srv, calls).items()}
        # queue stats ends with the age of the oldest message, which moves on.
        snap["queue stats"] = re.sub(rb"\(age [^)]*\)", b"(age)", snap["queue stats"])
        return snap

    def json_doc(self, r):
        self.assertEqual(r.stdout.count(b"\n"), 1, "one JSON document on one line: " + r.describe())
        return json.loads(r.stdout)

    def check_json(self, srv, qid, mids):
        """`--json` (docs/CLI.md) carries the facts of the text output."""
        r = self.run_cli_calls(srv, {
            "user list --json": ("user", "list", "--json"), "user list": ("user", "list"),
            "queue list --json": ("queue", "list", "--json"),
            "queue stats --json": ("queue", "stats", "--json"), "queue stats": ("queue", "stats"),
            "queue show --json": ("queue", "show", qid, "--json"),
            "mailbox list --json": ("mailbox", "list", "adm1@localhost", "--json"),
            "mailbox show --json": ("mailbox", "show", "adm1@localhost", mids[0], "--json"),
            "queue show unknown": ("queue", "show", "0123456789ABCDEF", "--json"),
        }, check=None)
        for k, res in r.items():
            if k != "queue show unknown":
                self.assertEqual(res.returncode, 0, res.describe())
        users = self.json_doc(r["user list --json"])["users"]
        self.assertEqual([u["address"] for u in users], r["user list"].out.split()[0::3])

        listing = self.json_doc(r["queue list --json"])
        lines = dict(srv.queue_list())
        self.assertEqual(sorted(m["queue_id"] for m in listing["messages"]), sorted(lines))
        msg = next(m for m in listing["messages"] if m["queue_id"] == qid)
        words = lines[qid].split()
        self.assertEqual((str(msg["size"]), msg["arrival"], "<%s>" % msg["sender"]), tuple(words[1:4]))
        pending = [r for r in msg["recipients"] if r["status"] in ("queued", "deferred")]
        self.assertEqual(["<%s>" % r["address"] for r in pending], words[4:4 + len(pending)])
        self.assertIn(" next=%s attempts=%d" % (msg["next_attempt"], msg["attempts"]), lines[qid])
        replied = [r for r in pending if r["last_reply"]]
        if replied:   # the text names the first pending recipient's reply and its class
            self.assertIn(" class=%s" % replied[0]["bounce_class"], lines[qid])
        stats = self.json_doc(r["queue stats --json"])
        self.assertIn("messages: %d\n" % stats["messages"], r["queue stats"].out)
        self.assertEqual(stats["messages"], len(lines))

        shown = self.json_doc(r["queue show --json"])
        envelope, body = srv.queue_show(qid)
        self.assertEqual(shown["message"].encode("utf-8") if "message" in shown
                         else base64.b64decode(shown["message_base64"]), body)
        self.assertIn("received: %s\n" % shown["received"], envelope)
        self.assertEqual(shown["recipients"], msg["recipients"])

        boxed = self.json_doc(r["mailbox list --json"])["messages"]
        self.assertEqual([m["id"] for m in boxed], mids)
        one = self.json_doc(r["mailbox show --json"])
        self.assertEqual(one["message"].encode("utf-8"), srv.mailbox_show("adm1@localhost", mids[0]))

        failed = r["queue show unknown"]   # a failure: the message, no document
        self.assertEqual((failed.returncode, failed.stdout), (1, b""), failed.describe())
        self.assertIn("no such queue ID", failed.err)

    def test_same_results_running_and_stopped(self):
        srv = self.start_server()
        # Users added while running.
        srv.add_user("adm1@localhost")
        srv.add_user("adm2@localhost")
        m1 = make_message("admin one", ["first"])
        m2 = make_message("admin two", ["second"])
        m3 = make_message("admin remote", ["for the spool"])
        q1 = srv.send("a@example.org", ["adm1@localhost"], m1)
        q2 = srv.send("a@example.org", ["adm1@localhost", "adm2@localhost"], m2)
        q3 = srv.send("a@example.org", ["far@remote.example"], m3)
        verify_local(self, srv, "adm1@localhost", "a@example.org", q1, m1, marker="admin one")
        verify_local(self, srv, "adm1@localhost", "a@example.org", q2, m2, marker="admin two")
        verify_local(self, srv, "adm2@localhost", "a@example.org", q2, m2, marker="admin two")
        harness.verify_queued(self, srv, q3, "a@example.org", ["far@remote.example"], m3)
        # The delivery engine tries q3 once (DNS fails: deferred for an hour);
        # let that attempt finish so that the snapshots compare a stable queue.
        srv.wait_attempted(q3)
        users = srv.cli("user", "list", check=0).out.split()
        self.assertIn("adm1@localhost", users)
        self.assertIn("adm2@localhost", users)
        mids = [mid for mid, _ in srv.mailbox_list("adm1@localhost")]
        self.assertEqual(len(mids), 2)
        running = self.snapshot(srv, [q3], mids)
        # The harness's own admin-socket client (fixtures use it) sees what the CLI prints.
        self.assertEqual(srv.admin("queue", "list", check=0).stdout, running["queue list"])
        self.assertEqual(srv.admin("mailbox", "show", "adm1@localhost", mids[0], check=0).stdout,
                         running["mailbox show " + mids[0]])
        self.check_json(srv, q3, mids)   # through the admin socket

        srv.stop()
        stopped = self.snapshot(srv, [q3], mids)
        self.check_json(srv, q3, mids)   # on the store directly
        for k in running:
            self.assertEqual(running[k], stopped[k], "`%s` differs: while running %r, stopped %r"
                             % (k, running[k][:500], stopped[k][:500]))

        # Changes while stopped are seen by the next serve.
        srv.add_user("adm3@localhost")
        srv.cli("user", "del", "adm2@localhost", check=0)
        srv.start()
        m4 = make_message("after restart", ["to adm3"])
        q4 = srv.send("a@example.org", ["adm3@localhost"], m4)
        verify_local(self, srv, "adm3@localhost", "a@example.org", q4, m4)
        c = srv.raw()
        self.addCleanup(c.close)
        c.cmd("EHLO client.test")
        c.cmd("MAIL FROM:<a@example.org>")
        self.assertReply(c.cmd("RCPT TO:<adm2@localhost>"), 550, "5.1.1", client=c, msg="user deleted while stopped")
        c.cmd("QUIT")
        again = self.snapshot(srv, [q3], mids, users=("adm1",))
        for k in ("queue list", "mailbox list adm1", "queue show " + q3):
            self.assertEqual(running[k], again[k], "`%s` differs after restart" % k)

    def test_user_add_and_del_while_running_take_effect_at_once(self):
        srv = self.start_server()
        c = srv.raw()
        self.addCleanup(c.close)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<late@localhost>"), 550, "5.1.1", client=c, msg="before user add")
        srv.add_user("late@localhost")
        self.assertReply(c.cmd("RCPT TO:<late@localhost>"), 250, client=c, msg="right after user add (same session)")
        msg = make_message("late user", ["hello"])
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(msg + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, client=c)
        verify_local(self, srv, "late@localhost", "a@example.org", harness.parse_qid(r.text), msg)
        srv.cli("user", "del", "late@localhost", check=0)
        self.assertReply(c.cmd("MAIL FROM:<a@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<late@localhost>"), 550, "5.1.1", client=c, msg="right after user del")
        c.cmd("QUIT")

    def test_queue_delete_running_and_stopped(self):
        srv = self.start_server()
        msgs = [make_message("del %d" % i, ["x"]) for i in range(3)]
        qids = [srv.send("a@example.org", ["r%d@remote.example" % i], m) for i, m in enumerate(msgs)]
        self.assertEqual(sorted(i for i, _ in srv.queue_list()), sorted(qids))
        srv.cli("queue", "delete", qids[0], check=0)
        self.assertEqual(sorted(i for i, _ in srv.queue_list()), sorted(qids[1:]), "after queue delete while running")
        r = srv.cli("queue", "show", qids[0])
        self.assertEqual(r.returncode, 1, "queue show of a deleted ID: " + r.describe())
        srv.stop()
        srv.cli("queue", "delete", qids[1], check=0)
        self.assertEqual([i for i, _ in srv.queue_list()], [qids[2]], "after queue delete while stopped")
        srv.start()
        self.assertEqual([i for i, _ in srv.queue_list()], [qids[2]], "after restart")
        harness.verify_queued(self, srv, qids[2], "a@example.org", ["r2@remote.example"], msgs[2])

    def test_password_not_stored_in_clear(self):
        srv = self.start_server()
        canary = "Cleartext-Canary-7f3a9c"
        srv.add_user("pw@localhost", password=canary)
        out = srv.cli("user", "list", check=0)
        self.assertNotIn(canary, out.out + out.err, "user list shows the password")
        srv.stop()
        for root, _, files in os.walk(srv.data_dir):
            for f in files:
                p = os.path.join(root, f)
                try:
                    with open(p, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                self.assertNotIn(canary.encode(), data, "the password is stored in clear in %s" % p)
        self.assertNotIn(canary, srv.log_text(), "the password appears in the log")


if __name__ == "__main__":
    unittest.main()
