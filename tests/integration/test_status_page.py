"""The status page (issue 14 item 5; docs/HTTP.md "Monitoring") in a real browser: headless Chromium
(Debian `chromium`) loads GET / from a running server with deferred mail in its queue and a suspended
domain (and a held message), runs the page's script, and the numbers it rendered must be the ones GET /api/v1/status gives;
a screenshot is kept as an artifact (RINGPOST_ARTIFACT_DIR, else the test's temporary directory). Also
GET /metrics over HTTP, parsed by python3-prometheus-client."""

import html.parser
import json
import os
import shutil
import subprocess
import time
import urllib.request

import harness
from harness import ServerTestCase, make_message
from sink import free_port_on

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class DomFields(html.parser.HTMLParser):
    """The text of every element with a data-field attribute, with the data-site of its row."""

    def __init__(self):
        super().__init__()
        self.fields = []          # (field, site or None, text)
        self._stack = []
        self._site = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self._site = a.get("data-site")
        self._stack.append((tag, a.get("data-field"), []))

    def handle_endtag(self, tag):
        while self._stack:
            t, field, text = self._stack.pop()
            if field:
                self.fields.append((field, self._site, "".join(text).strip()))
            if self._stack:
                self._stack[-1][2].extend(text)
            if t == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][2].append(data)


class StatusPageTest(ServerTestCase):

    def chromium(self, url, *args):
        if not CHROMIUM:
            harness.missing_dependency(self, "chromium (Debian package chromium)")
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--user-data-dir=" + os.path.join(self.srv.tmp, "chromium-profile"),
               "--virtual-time-budget=10000"] + list(args) + [url]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, "chromium failed: %s" % p.stderr[-2000:])
        return p.stdout

    def get(self, path):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.srv.http_port, path), timeout=20) as r:
            return r.status, r.headers, r.read()

    def test_the_rendered_page_shows_the_apis_numbers(self):
        dead = free_port_on(["127.0.0.1"])   # nothing listens: deliveries there are deferred
        self.srv = self.start_server({"delivery": {
            "routes": {"remote.test": "127.0.0.1:%d" % dead, "other.test": "127.0.0.1:%d" % dead},
            "retry_schedule": ["1h"], "connect_timeout": "2s"}})
        qids = [self.srv.send("a@example.org", ["u%d@remote.test" % i], make_message("deferred %d" % i))
                for i in range(3)]
        self.srv.send("a@example.org", ["x@other.test", "y@other.test"], make_message("two"))
        self.srv.cli("queue", "suspend", "other.test", "--for", "1h", "--reason", "asked to wait", check=0)
        # Wait until every recipient has been tried once (deferred, with its class).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            st = json.loads(self.get("/api/v1/status")[2])
            if st["queue"]["recipients"] == 5 and len(st["recent_deferrals"]) >= 3:
                break
            time.sleep(0.5)
        self.srv.cli("queue", "hold", qids[0], "--reason", "spot check", check=0)   # listed apart, still queued
        time.sleep(MonitoringCache)   # the page's own fetch then gives the same document
        api = json.loads(self.get("/api/v1/status")[2])
        self.assertEqual(api["queue"]["messages"], 4, api)
        self.assertEqual(api["queue"]["recipients"], 5, api)

        dom = self.chromium("http://127.0.0.1:%d/" % self.srv.http_port, "--dump-dom")
        self.assertIn('data-rendered="', dom, "the page's script ran and rendered a status\n" + dom[-3000:])
        parser = DomFields()
        parser.feed(dom)
        shown = {(f, s): t for f, s, t in parser.fields}
        self.assertEqual(shown[("queue-messages", None)], str(api["queue"]["messages"]))
        self.assertEqual(shown[("queue-recipients", None)], str(api["queue"]["recipients"]))
        self.assertEqual(shown[("hostname", None)], api["hostname"])
        for row in api["sites"]:
            self.assertEqual(shown[("site-messages", row["site"])], str(row["messages"]), row)
            self.assertEqual(shown[("site-recipients", row["site"])], str(row["recipients"]), row)
        rendered_deferrals = sorted(t for f, _, t in parser.fields if f == "deferral-recipient")
        self.assertEqual(rendered_deferrals, sorted(d["recipient"] for d in api["recent_deferrals"]))
        self.assertEqual([t for f, _, t in parser.fields if f == "deferral-class"][:1], ["routing"])
        self.assertEqual([t for f, _, t in parser.fields if f == "suspension-target"], ["other.test"])
        self.assertEqual((api["queue"]["held"], [h["reason"] for h in api["held_messages"]]), (1, ["spot check"]), api)
        self.assertEqual([t for f, _, t in parser.fields if f == "held-qid"], [qids[0]])

        shot = os.path.join(os.environ.get("RINGPOST_ARTIFACT_DIR", self.srv.tmp), "status-page.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        self.chromium("http://127.0.0.1:%d/" % self.srv.http_port, "--screenshot=" + shot, "--window-size=1280,900")
        with open(shot, "rb") as f:
            png = f.read()
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000, "a screenshot at %s" % shot)


MonitoringCache = 2.5   # > MonitoringApi::kStatusCacheSeconds


if __name__ == "__main__":
    import unittest
    unittest.main()
