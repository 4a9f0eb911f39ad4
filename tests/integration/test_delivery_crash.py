"""kill -9 while the engine delivers: after a restart on the same data directory every accepted message
arrives at least once, only messages whose delivery was not yet durable (logged) at the kill arrive twice,
and nothing stays queued."""

import collections
import threading
import time
import unittest

import harness
from harness import make_message
from delivery_base import DeliveryTestCase

MESSAGES = 200
CLIENTS = 4
CONNECTIONS = 4            # max_connections_per_destination
DATA_DELAY = 0.05          # the sink's pause before its reply to the end of DATA
KILL_AFTER = 20            # kill -9 once this many messages have arrived at the sink
MSGID = "<crash-%d@delivery-crash.test>"


class DeliveryCrashTest(DeliveryTestCase):
    ZONE = dict(mx=[("crash.test", "mx.crash.test", 10)], hosts={"mx.crash.test": ["127.0.0.2"]})

    def submit(self, srv):
        """Send MESSAGES messages from CLIENTS threads; returns {Message-ID: qid} of those accepted."""
        accepted, errors, lock = {}, [], threading.Lock()

        def client(k):
            try:
                c = srv.smtp(timeout=20)
            except Exception as e:
                errors.append(repr(e))
                return
            try:
                for i in range(k, MESSAGES, CLIENTS):
                    mid = MSGID % i
                    msg = make_message("crash %d" % i, ["message %d" % i, "z" * 500], to="c%d@crash.test" % i,
                                       msgid=mid)
                    qid = harness.send_on(c, "a@example.org", ["c%d@crash.test" % i], msg)
                    with lock:
                        accepted[mid] = qid
                c.quit()
            except Exception as e:
                errors.append(repr(e))
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [], "submitting %d messages failed" % MESSAGES)
        self.assertEqual(len(accepted), MESSAGES)
        return accepted

    @staticmethod
    def arrived(sink):
        counts = collections.Counter()
        for m in sink.snapshot():
            for line in m.data.split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    counts[line.split(b":", 1)[1].strip().decode()] += 1
                    break
        return counts

    def test_kill_9_during_delivery(self):
        sink = self.start_sink("127.0.0.2", data_delay=DATA_DELAY)
        srv = self.delivery_server(delivery={"max_connections_per_destination": CONNECTIONS})
        accepted = self.submit(srv)
        self.wait_first_attempt(srv, accepted[MSGID % 0])
        deadline = time.monotonic() + 20
        while len(sink.snapshot()) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        at_kill = len(sink.snapshot())
        self.assertGreaterEqual(at_kill, KILL_AFTER, "only %d messages reached the sink within 20s: is the engine "
                                "delivering?\n%s" % (at_kill, sink.describe()))
        srv.kill()
        # What the server had made durable: a delivery is logged only after
        # its outcome was committed, and such a message must never go out
        # again. Those delivered but not yet committed may (at-least-once).
        durable = {e.get("qid") for e in srv.log_events("delivery") if e.get("result") == "delivered"}
        # The sink records a message when it answers the end of data, after
        # DATA_DELAY: let the transactions cut by the kill land there first.
        time.sleep(DATA_DELAY * 4)
        before_restart = self.arrived(sink)
        self.assertLess(at_kill, MESSAGES, "all %d messages were delivered before the kill -9: not a crash during "
                        "delivery (make the sink slower)" % MESSAGES)
        print("\n[delivery crash] %d of %d messages at the sink at kill -9" % (at_kill, MESSAGES), flush=True)

        srv.start()   # recovery on the same data dir
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            counts = self.arrived(sink)
            if all(counts[m] for m in accepted):
                break
            time.sleep(0.1)
        counts = self.arrived(sink)
        missing = sorted(m for m in accepted if counts[m] == 0)
        self.assertEqual(missing, [], "%d accepted messages never arrived after kill -9 + restart (30s), e.g. %s "
                         "(qids %s)" % (len(missing), missing[:3], [accepted[m] for m in missing[:3]]))
        unknown = sorted(m for m in counts if m not in accepted)
        self.assertEqual(unknown, [], "messages at the sink that were never sent")
        dups = {m: n for m, n in counts.items() if n > 1}
        extra = sum(n - 1 for n in dups.values())
        print("[delivery crash] after the restart: %d messages arrived, %d duplicate deliveries (%d outcomes "
              "durable at the kill)" % (len(counts), extra, len(durable)), flush=True)
        # Only transactions whose outcome was not yet durable may repeat: those
        # in flight and those waiting for the group commit. A connection goes
        # on with its next transaction while the last one's outcome waits for
        # the commit, so that can be more than one per connection.
        repeated_durable = sorted(m for m in dups if accepted[m] in durable)
        self.assertEqual(repeated_durable, [], "delivered again although the first delivery was durable: %r"
                         % [(m, accepted[m]) for m in repeated_durable])
        self.assertEqual(sorted(m for m in dups if not before_restart[m]), [],
                         "delivered twice after the restart alone")
        self.assertTrue(all(n == 2 for n in dups.values()), "a message delivered more than twice: %r" % dups)
        self.assertQueueEmpty(srv, timeout=20, msg="after the restart")
        srv.stop()


if __name__ == "__main__":
    unittest.main()
