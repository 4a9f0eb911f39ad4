"""IPv6: listen on [::1] as well and take mail over it."""

import subprocess
import unittest

import harness
from harness import ServerTestCase, make_message, verify_local, verify_queued


class Ipv6Test(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        if not harness.ipv6_available():
            harness.missing_dependency(None, "no IPv6 loopback (::1) here")
        cls.srv = cls.start_class_server(ipv6=True)
        cls.srv.add_user("six@localhost")

    def test_local_delivery_over_ipv6(self):
        msg = make_message("over ipv6", ["via ::1"])
        qid = self.srv.send("v6@example.org", ["six@localhost"], msg, host="::1")
        rec = verify_local(self, self.srv, "six@localhost", "v6@example.org", qid, msg, marker="over ipv6")
        self.assertIn("::1", rec, "Received header should name the IPv6 client: %s" % rec)
        ev = self.srv.wait_log(lambda d: d.get("event") == "accepted" and d.get("qid") == qid)
        self.assertIsNotNone(ev, "no accepted log line for %s" % qid)
        self.assertEqual(ev.get("client"), "::1", "accepted log line client=: %r" % ev)

    def test_relay_from_ipv6_loopback(self):
        # relay_networks contains ::1/128.
        msg = make_message("relay over ipv6", ["to the spool"])
        qid = self.srv.send("v6@example.org", ["far@remote.example"], msg, host="::1")
        verify_queued(self, self.srv, qid, "v6@example.org", ["far@remote.example"], msg)

    def test_ipv4_still_works(self):
        msg = make_message("over ipv4 too", ["via 127.0.0.1"])
        qid = self.srv.send("v4@example.org", ["six@localhost"], msg, host="127.0.0.1")
        verify_local(self, self.srv, "six@localhost", "v4@example.org", qid, msg, marker="over ipv4 too")

    def test_swaks_ipv6(self):
        p = subprocess.run(["swaks", "-6", "--server", "::1", "--port", str(self.srv.port), "--to", "six@localhost",
                            "--from", "swaks6@example.org", "--helo", "swaks.test", "--timeout", "15"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        if "IPv6 not available" in out:
            harness.missing_dependency(self, "swaks cannot do IPv6 here: " + out.strip())
        self.assertEqual(p.returncode, 0, "swaks over ::1 failed:\n" + out)
        self.assertRegex(out, r"250 2\.0\.0 Ok: queued as [0-9A-F]{16}", out)


if __name__ == "__main__":
    unittest.main()
