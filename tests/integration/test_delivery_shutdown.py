"""A graceful stop while deliveries are under way (found by the shaping benchmark on 2026-12-07: `ringpost
serve` crashed on SIGTERM when destinations retired during the last moments of the drain, their sites
being detached through a ring that had already stopped). Many destinations deliver to a slow sink; the
server is stopped in the middle; it must exit 0, and what it had not delivered is still queued."""

import time

import harness
from harness import make_message
from delivery_base import DeliveryTestCase

DOMAINS = 40
ZONE = dict(mx=[("d%d.test" % i, "mx.sink.test", 10) for i in range(DOMAINS)],
            hosts={"mx.sink.test": ["127.0.0.2"]})
SENDER = "sender@example.org"


class DeliveryShutdownTest(DeliveryTestCase):
    ZONE = ZONE

    def test_stop_while_many_destinations_deliver(self):
        # Attempts 0-1 stop while transactions are under way; 2-3 just after the sink has it all, with
        # every destination's connection idle (what the benchmark did).
        for attempt in range(4):
            under_way = attempt < 2
            sink = self.start_sink("127.0.0.2", data_delay=0.2 + 0.1 * attempt if under_way else 0.0)
            srv = self.delivery_server(config={"smtp": {"shutdown_grace": 3}})
            c = srv.smtp()
            try:
                for i in range(DOMAINS):
                    rcpt = "u%d@d%d.test" % (i, i)
                    harness.send_on(c, SENDER, [rcpt], make_message("stop %d" % i, to=rcpt))
                c.quit()
            finally:
                c.close()
            deadline = time.monotonic() + 20
            while len(sink.snapshot()) < (3 if under_way else DOMAINS) and time.monotonic() < deadline:
                time.sleep(0.02)
            rc, _ = srv.terminate()
            self.assertEqual(rc, 0, "attempt %d: ringpost serve must exit 0 on SIGTERM\n%s" % (attempt, srv.diagnostics()))
            # Nothing accepted is lost: after a restart everything arrives (a message whose outcome
            # the stop cut off may arrive twice: at least once, as SMTP relays promise).
            srv.start()
            want = {"u%d@d%d.test" % (i, i) for i in range(DOMAINS)}
            deadline = time.monotonic() + 30
            while {r for m in sink.snapshot() for r in m.rcpts} != want and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual({r for m in sink.snapshot() for r in m.rcpts}, want, sink.describe())
            srv.stop()
            sink.stop()

if __name__ == "__main__":
    import unittest
    unittest.main()
