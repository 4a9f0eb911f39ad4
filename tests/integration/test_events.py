"""Delivery events (issue 14, item 4; docs/EVENTS.md): every event is appended to the store's event log and pushed
to a webhook as JSON lines, and to a file. The webhook receiver (http.server in a thread on 127.0.0.1) is first down
(connection refused), then answers 500, then takes the events; ringpost is restarted in between. The receiver must
see every event once, in log order, with the right types, codes and bounce classes, and the file the same lines."""

import http.server
import json
import os
import shutil
import tempfile
import threading
import time

from harness import make_message
from delivery_base import DeliveryTestCase
from sink import free_port_on

SENDER = "sender@localhost"
OK, REJECT, DEFER = "ok@remote.test", "reject@remote.test", "defer@remote.test"
TIMEOUT = 15


class Receiver:
    """A webhook endpoint: mode "500" answers every POST with 500, "ok" records the batch and answers 204."""

    def __init__(self, port):
        self.port = port
        self.mode = "500"
        self.batches = []        # [[event dict]] taken with a 2xx
        self.refused = 0         # POSTs answered 500
        self.headers = []        # (Content-Type, Authorization) of each POST
        self.peers = []          # the client address of each POST (one per connection)
        self.cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # keeps the connection

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.cond:
                    receiver.headers.append((self.headers.get("Content-Type"), self.headers.get("Authorization")))
                    receiver.peers.append(self.client_address)
                    if receiver.mode == "500":
                        receiver.refused += 1
                        code = 500
                    else:
                        receiver.batches.append([json.loads(l) for l in body.decode().splitlines()])
                        code = 204
                    receiver.cond.notify_all()
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self):
        with self.cond:
            return [e for b in self.batches for e in b]

    def wait(self, predicate, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


class EventsTest(DeliveryTestCase):
    ZONE = {}

    def events_config(self, hook_port, file_path):
        return {"events": {
            "file": file_path,
            "webhooks": {"main": {
                "url": "http://127.0.0.1:%d/hook" % hook_port,
                "batch_size": 4,
                "max_batch_delay": "100ms",
                "timeout": "2s",
                "retry_initial": "100ms",
                "retry_max": "400ms",
                "headers": {"Authorization": "Bearer s3cret"},
            }}}}

    def file_events(self, path):
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(l) for l in f.read().splitlines()]

    def wait_push_failure(self, srv, text):
        ev = srv.wait_log(lambda d: d.get("event") == "events_push_failed" and text in d.get("error", ""),
                          timeout=TIMEOUT)
        self.assertIsNotNone(ev, "no events_push_failed with %r" % text)

    def test_webhook_outage_restart_and_file(self):
        sink = self.start_sink("127.0.0.1")
        hook_port = free_port_on(["127.0.0.1"])
        tmp = tempfile.mkdtemp(prefix="ringpost-events-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "events.jsonl")
        srv = self.delivery_server(
            delivery={"routes": {"remote.test": "[127.0.0.1]:%d" % sink.port}, "retry_schedule": ["1h"]},
            config=self.events_config(hook_port, path), users=[SENDER])

        # A rejection at SMTP, then a message whose three recipients are delivered, failed and deferred.
        c = srv.smtp()
        c.ehlo()
        c.mail(SENDER)
        code, _ = c.rcpt("nobody@localhost")
        self.assertEqual(code, 550)
        c.quit()
        qid = srv.send(SENDER, [OK, REJECT, DEFER], make_message("events", ["body"], sender=SENDER, to=OK))
        self.wait_delivery(srv, qid, DEFER, "deferred")

        # The receiver is down: connection refused, retried with backoff; mail went on regardless.
        self.wait_push_failure(srv, "Connection refused")
        receiver = Receiver(hook_port)
        self.addCleanup(receiver.stop)
        receiver.start()
        self.wait_push_failure(srv, "HTTP 500")
        self.assertTrue(receiver.refused >= 1)

        # Restart while the endpoint refuses: nothing was taken, so everything is sent after the restart.
        srv.stop()
        srv.start()
        # `queue suspend` / `queue resume`: events in the same write as the suspension.
        srv.cli("queue", "suspend", "remote.test", "--for", "1h", "--reason", "maintenance", check=0)
        srv.cli("queue", "resume", "remote.test", check=0)
        # A second attempt of the deferred recipient: one more event, attempt 2.
        self.assertEqual(srv.queue_flush(), 1)
        self.assertIsNotNone(srv.wait_log(lambda d: d.get("event") == "delivery" and d.get("rcpt") == DEFER and
                                          d.get("attempts") == "2", timeout=TIMEOUT), "no second attempt")
        qid2 = srv.send(SENDER, [OK], make_message("after restart", ["body"], sender=SENDER, to=OK))
        self.wait_delivery(srv, qid2, OK, "delivered")
        with receiver.cond:
            receiver.mode = "ok"
        self.assertTrue(receiver.wait(lambda r: any(e["type"] == "delivered" and e.get("queue_id") == qid2
                                                    for e in r.events())),
                        "the webhook did not get the events: %r" % receiver.events())
        got = receiver.events()

        # Once each, in log order; the batches as configured, with the headers given.
        ids = [e["id"] for e in got]
        self.assertEqual(ids, sorted(set(ids)), ids)
        self.assertTrue(all(len(b) <= 4 for b in receiver.batches), receiver.batches)
        self.assertIn(("application/x-ndjson", "Bearer s3cret"), receiver.headers)
        # Kept-alive: the retried POSTs of one run share a connection.
        self.assertLess(len(set(receiver.peers)), len(receiver.peers), receiver.peers)

        def only(type_, **fields):
            found = [e for e in got if e["type"] == type_ and all(e.get(k) == v for k, v in fields.items())]
            self.assertEqual(len(found), 1, "%s %r in %r" % (type_, fields, got))
            return found[0]

        rej = only("rejected", recipient="nobody@localhost")
        self.assertEqual((rej["code"], rej["enhanced_code"], rej["stage"], rej["client"]),
                         (550, "5.1.1", "RCPT", "127.0.0.1"), rej)
        for r in (OK, REJECT, DEFER):
            rec = only("received", queue_id=qid, recipient=r)
            self.assertEqual(rec["sender"], SENDER)
            self.assertEqual(rec["domain"], "remote.test")
            self.assertGreater(rec["size"], 0)
        d = only("delivered", queue_id=qid, recipient=OK)
        self.assertEqual((d["code"], d["attempt"]), (250, 1), d)
        self.assertRegex(d["relay"], r"^127\.0\.0\.1\[127\.0\.0\.1\]:\d+$")
        f = only("failed", queue_id=qid, recipient=REJECT)
        self.assertEqual((f["code"], f["enhanced_code"], f["bounce_class"], f["attempt"]),
                         (550, "5.1.1", "invalid-recipient", 1), f)
        self.assertIn("no such user", f["response"])
        for attempt in (1, 2):   # once per delivery attempt
            df = only("deferred", queue_id=qid, recipient=DEFER, attempt=attempt)
            self.assertEqual((df["code"], df["enhanced_code"]), (451, "4.3.0"), df)
            self.assertIn("bounce_class", df)
        self.assertEqual(len([e for e in got if e["type"] == "deferred"]), 2, got)
        dsn = only("dsn", queue_id=qid)
        self.assertEqual((dsn["recipient"], dsn["reason"]), (SENDER, "failed"), dsn)
        only("delivered", queue_id=dsn["dsn_queue_id"], recipient=SENDER, relay="local")
        sus = only("suspended", site="remote.test")
        self.assertEqual(sus["reason"], "maintenance", sus)
        self.assertTrue(sus["until"].endswith("Z"), sus)
        self.assertLess(sus["id"], only("resumed", site="remote.test")["id"])
        only("received", queue_id=qid2, recipient=OK)
        only("delivered", queue_id=qid2, recipient=OK)
        # Per message, in the order things happened.
        order = [e["type"] for e in got if e.get("queue_id") == qid]
        self.assertEqual(order[:3], ["received"] * 3, order)
        self.assertLess(order.index("delivered"), order.index("dsn"), order)
        self.assertTrue(all(e["time"].endswith("Z") and len(e["time"]) == 24 for e in got), got[0])

        # The file sink has the same lines.
        deadline = time.monotonic() + TIMEOUT
        while len(self.file_events(path)) < len(got) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.file_events(path)[:len(got)], got)

    def test_operator_bounce_and_delete_make_events(self):
        """queue bounce and queue delete end recipients too: consumers learn it as for any failure; queue hold and
        queue release make one event each."""
        tmp = tempfile.mkdtemp(prefix="ringpost-events-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "events.jsonl")
        srv = self.start_server({"events": {"file": path}})
        srv.add_user(SENDER)
        bounced = srv.send(SENDER, ["b1@remote.example", "b2@remote.example"], make_message("bounce me", ["x"]))
        deleted = srv.send(SENDER, ["d1@remote.example"], make_message("delete me", ["y"]))
        held = srv.send(SENDER, ["h1@remote.example"], make_message("hold me", ["z"]))
        srv.wait_attempted(bounced)
        srv.wait_attempted(deleted)
        srv.wait_attempted(held)
        srv.cli("queue", "bounce", bounced, check=0)
        srv.cli("queue", "delete", deleted, check=0)
        srv.cli("queue", "hold", held, "--reason", "look at it", check=0)
        srv.cli("queue", "release", held, check=0)

        def mine():
            return [e for e in self.file_events(path) if e.get("queue_id") in (bounced, deleted, held)
                    and e["type"] in ("failed", "dsn", "deleted", "held", "released")]
        deadline = time.monotonic() + TIMEOUT
        while len(mine()) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        got = mine()
        failed = [e for e in got if e["type"] == "failed"]
        self.assertEqual(sorted(e["recipient"] for e in failed), ["b1@remote.example", "b2@remote.example"], got)
        for e in failed:
            self.assertEqual((e["queue_id"], e["enhanced_code"], e["response"], e["sender"], e["attempt"]),
                             (bounced, "5.0.0", "bounced by the administrator", SENDER, 1), e)
            self.assertIn("bounce_class", e)
        dsn = [e for e in got if e["type"] == "dsn"]
        self.assertEqual([(e["queue_id"], e["recipient"], e["reason"]) for e in dsn], [(bounced, SENDER, "failed")], got)
        gone = [e for e in got if e["type"] == "deleted"]
        self.assertEqual([(e["queue_id"], e["recipient"], e["response"]) for e in gone],
                         [(deleted, "d1@remote.example", "deleted by the administrator")], got)
        # One event per message for a hold and its release, with the operator's reason (no milter).
        holds = [(e["type"], e["queue_id"], e.get("reason"), e.get("milter"), e["sender"]) for e in got
                 if e["type"] in ("held", "released")]
        self.assertEqual(holds, [("held", held, "look at it", None, SENDER), ("released", held, "look at it", None, SENDER)],
                         got)

    def test_no_sink_no_events(self):
        srv = self.delivery_server(users=[SENDER])
        c = srv.smtp()
        c.ehlo()
        c.mail(SENDER)
        self.assertEqual(c.rcpt("nobody@localhost")[0], 550)
        c.quit()
        r = srv.cli("check-config")
        self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual([d for d in srv.log_events() if d.get("event", "").startswith("events_")], [])

    def test_a_bad_webhook_url_fails_check_config(self):
        srv = self.start_server({"events": {"webhooks": {"w": {"url": "ftp://x/"}}}}, start=False)
        r = srv.cli("check-config")
        self.assertEqual(r.returncode, 2, r.describe())
        self.assertIn("events.webhooks.\"w\".url: expected a URL starting with http:// or https://, got \"ftp://x/\"", r.err)
