"""The HTTP API (issue 14; docs/HTTP.md) against the real binary, with curl,
Python's http.client and raw sockets: keep-alive (several requests on one
connection), pipelining (two requests in one send, answers in order), each
limit's status (414, 431, 413 before the body, 400 then close, 501, 405 with
Allow, 404), 100-continue and chunked bodies, the idle timeout closing the
connection, the access rules (relay_networks without a tokens file: 403
from elsewhere; with one: 401 without or with a wrong token, 200 with a
valid one, a token added by `ringpost http token new` taken on SIGHUP),
https with the server's certificate, and the admin API (queue
list/summary/suspend/resume, user add/list) answering what the CLI shows,
with SMTP working beside it."""

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time

from harness import HOSTNAME, Server, ServerTestCase, make_message

IDLE = 2   # [http] idle_timeout of the plain server, seconds


def read_response(sock_file):
    """(status, headers dict lower-cased, body) of one response read from a
    binary file object; None at EOF."""
    status = sock_file.readline()
    if not status:
        return None
    code = int(status.split()[1])
    headers = {}
    while True:
        line = sock_file.readline().rstrip(b"\r\n")
        if not line:
            break
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = sock_file.read(int(headers.get("content-length", "0")))
    return code, headers, body


def without_ages(doc):
    """Text with its ages ("1s", "2m" in queue summary's OLDEST column,
    "(age ...)") masked, or a JSON document without members about ages."""
    if isinstance(doc, str):
        return re.sub(r"\(age [^)]*\)", "(age)", re.sub(r"(?<=\s)\d+[smhd](?=\s)", "AGE", doc))
    if isinstance(doc, dict):
        return {k: without_ages(v) for k, v in doc.items() if "age" not in k and "oldest" not in k}
    if isinstance(doc, list):
        return [without_ages(v) for v in doc]
    return doc


class HttpTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        # Only 127.0.0.1 may use the API (no tokens file); 127.0.0.2 is a stranger.
        cls.srv = cls.start_class_server({
            "relay": {"relay_networks": ["127.0.0.1/32"]},
            "smtp": {"max_message_size": 30000},
            "http": {"idle_timeout": "%ds" % IDLE},
        }, name="http")

    def conn(self, source="127.0.0.1"):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.http_port, timeout=10, source_address=(source, 0))
        self.addCleanup(c.close)
        return c

    def call(self, conn, method, path, body=None, headers=None):
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, r, data

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=10)
        self.addCleanup(s.close)
        return s, s.makefile("rb")

    def api(self, method, path, body=None):
        c = self.conn()
        status, _, data = self.call(c, method, path, json.dumps(body) if body is not None else None,
                                    {"Content-Type": "application/json"} if body is not None else {})
        return status, json.loads(data)

    def assert_like_cli(self, doc, *cli_args):
        """The API's JSON is what the CLI shows: its text wrapped as
        {"output": ...}, or the document `--json` prints once the command
        renders JSON itself. Ages move on between the two calls and are
        left out (as test_admin does with queue stats)."""
        if set(doc) == {"output"}:
            self.assertEqual(without_ages(doc["output"]), without_ages(self.srv.cli(*cli_args, check=0).out))
        else:
            self.assertEqual(without_ages(doc), without_ages(json.loads(self.srv.cli(*(cli_args + ("--json",)),
                                                                                 check=0).out)))

    # --- keep-alive and pipelining

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        c = self.conn()
        status, r, data = self.call(c, "GET", "/api/v1/commands")
        self.assertEqual(status, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        self.assertIsNotNone(r.getheader("Date"))
        names = [(x["group"], x["name"]) for x in json.loads(data)["commands"]]
        self.assertIn(("queue", "list"), names)
        self.assertIn(("user", "add"), names)
        first_sock = c.sock
        for path in ("/api/v1/queue/stats", "/api/v1/user/list", "/nowhere", "/api/v1/commands"):
            status, _, _ = self.call(c, "GET", path)
            self.assertIn(status, (200, 404))
            self.assertIs(c.sock, first_sock, "the connection was not kept for " + path)
        status, r, data = self.call(c, "HEAD", "/api/v1/commands")
        self.assertEqual((status, data), (200, b""))
        self.assertGreater(int(r.getheader("Content-Length")), 100)
        self.assertIs(c.sock, first_sock)

    def test_curl_reuses_the_connection(self):
        base = "http://127.0.0.1:%d" % self.srv.http_port
        p = subprocess.run(["curl", "-sS", "-v", "-o", "/dev/null", "-o", "/dev/null",
                            base + "/api/v1/commands", base + "/api/v1/queue/stats"],
                           capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Re-using existing connection", p.stderr)

    def test_pipelined_requests_are_answered_in_order(self):
        s, f = self.raw()
        s.sendall(b"GET /api/v1/queue/stats HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /not/there HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /api/v1/commands HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = [read_response(f) for _ in range(3)]
        self.assertEqual([a[0] for a in answers], [200, 404, 200])
        self.assertIn(b"commands", answers[2][2])
        self.assertEqual(answers[2][1].get("connection"), "close")
        self.assertEqual(f.read(), b"", "closed after Connection: close")

    # --- limits

    def assert_refused_then_closed(self, data, status):
        s, f = self.raw()
        s.sendall(data)
        answer = read_response(f)
        self.assertIsNotNone(answer, "no answer to %r" % data[:80])
        self.assertEqual(answer[0], status, answer)
        self.assertEqual(answer[1].get("connection"), "close")
        self.assertIn(b'"error"', answer[2])
        self.assertEqual(f.read(), b"", "the connection ends after %d" % status)

    def test_each_limit_has_its_status(self):
        self.assert_refused_then_closed(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414)
        self.assert_refused_then_closed(b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431)
        self.assert_refused_then_closed(b"NOT HTTP AT ALL\r\n\r\n", 400)
        # The body limit follows [smtp] max_message_size (30000 here): said as
        # soon as Content-Length is read, before any of the body is sent.
        self.assert_refused_then_closed(b"POST /api/v1/user/add HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n", 413)

        c = self.conn()
        status, r, _ = self.call(c, "BREW", "/api/v1/commands")
        self.assertEqual(status, 501)
        status, r, _ = self.call(c, "DELETE", "/api/v1/commands")
        self.assertEqual(status, 405)
        self.assertEqual(r.getheader("Allow").split(", ")[:2], ["GET", "HEAD"])
        status, r, data = self.call(c, "GET", "/api/v1/queue/flush")
        self.assertEqual((status, r.getheader("Allow")), (405, "POST"))
        self.assertIn("POST", json.loads(data)["error"])
        status, r, _ = self.call(c, "GET", "/nowhere")
        self.assertEqual(status, 404)
        status, r, _ = self.call(c, "GET", "/api/v1/queue/list")   # still the same connection
        self.assertEqual(status, 200)

    def test_chunked_bodies_and_100_continue(self):
        c = self.conn()
        body = json.dumps({"args": ["chunky@localhost"], "password": "chunk-pass-1"}).encode()
        c.request("POST", "/api/v1/user/add", body=iter([body[:10], body[10:]]), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
        r = c.getresponse()
        self.assertEqual(r.status, 200, r.read())
        r.read()
        s, f = self.raw()
        body = json.dumps({"args": ["cont@localhost"], "password": "cont-pass-1"}).encode()
        s.sendall(b"POST /api/v1/user/add HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        self.assertEqual(f.readline(), b"HTTP/1.1 100 Continue\r\n")
        self.assertEqual(f.readline(), b"\r\n")
        s.sendall(body)
        self.assertEqual(read_response(f)[0], 200)
        users = self.srv.cli("user", "list", check=0).out
        self.assertIn("chunky@localhost", users)
        self.assertIn("cont@localhost", users)

    def test_idle_timeout_closes_the_connection(self):
        s, f = self.raw()
        s.sendall(b"GET /api/v1/queue/stats HTTP/1.1\r\n\r\n")
        self.assertEqual(read_response(f)[0], 200)
        began = time.monotonic()
        s.settimeout(IDLE + 8)
        self.assertEqual(s.recv(100), b"", "closed without a word")
        waited = time.monotonic() - began
        self.assertGreater(waited, IDLE - 0.5)
        self.assertLess(waited, IDLE + 6)

    # --- access without a tokens file

    def test_only_relay_networks_without_a_tokens_file(self):
        status, _, data = self.call(self.conn("127.0.0.2"), "GET", "/api/v1/queue/list")
        self.assertEqual(status, 403, data)
        self.assertIn(b"error", data)
        status, _, _ = self.call(self.conn("127.0.0.1"), "GET", "/api/v1/queue/list")
        self.assertEqual(status, 200)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "http_request" and d.get("status") == "403"
                                          and d.get("client") == "127.0.0.2" and d.get("path") == "/api/v1/queue/list"))

    # --- the admin API

    def test_admin_api_answers_what_the_cli_shows(self):
        status, doc = self.api("POST", "/api/v1/user/add", {"args": ["api-user@localhost"], "password": "api-pass-1"})
        self.assertEqual(status, 200, doc)
        status, doc = self.api("POST", "/api/v1/user/add", {"args": ["api-user@localhost"], "password": "again-1"})
        self.assertEqual(status, 409, doc)
        self.assertIn("already exists", doc["error"])
        status, doc = self.api("GET", "/api/v1/user/list")
        self.assertEqual(status, 200)
        self.assertIn("api-user@localhost", json.dumps(doc))
        self.assert_like_cli(doc, "user", "list")

        # SMTP goes on beside the HTTP listener.
        qid = self.srv.send("a@example.org", ["far@remote.example"], make_message("over smtp", ["body"]))
        self.srv.wait_attempted(qid)
        status, doc = self.api("GET", "/api/v1/queue/list")
        self.assertEqual(status, 200)
        self.assertIn(qid, json.dumps(doc))
        self.assert_like_cli(doc, "queue", "list")
        status, doc = self.api("GET", "/api/v1/queue/show?arg=" + qid)
        self.assertEqual(status, 200)
        self.assertIn("far@remote.example", json.dumps(doc))

        status, doc = self.api("POST", "/api/v1/queue/suspend",
                               {"args": ["remote.example"], "options": {"for": "1h", "reason": "over http"}})
        self.assertEqual(status, 200, doc)
        # The running engine heard of it, as from the admin socket.
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "suspended" and d.get("target") == "remote.example"),
                        self.srv.log_tail())
        status, doc = self.api("GET", "/api/v1/queue/summary")
        self.assertEqual(status, 200)
        self.assertIn("over http", json.dumps(doc))
        self.assert_like_cli(doc, "queue", "summary")
        status, doc = self.api("POST", "/api/v1/queue/resume", {"args": ["remote.example"]})
        self.assertEqual(status, 200, doc)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "resumed" and d.get("target") == "remote.example"))
        status, doc = self.api("POST", "/api/v1/queue/resume", {"args": ["remote.example"]})
        self.assertEqual(status, 404, doc)   # no suspension of it now

        # Hold and release (the table's flag option `all` as a body option).
        status, doc = self.api("POST", "/api/v1/queue/hold", {"args": [qid], "options": {"reason": "over http"}})
        self.assertEqual((status, doc.get("held"), doc.get("reason")), (200, [qid], "over http"), doc)
        status, doc = self.api("GET", "/api/v1/queue/show?arg=" + qid)
        self.assertEqual((doc["held"], doc["hold_reason"], doc["hold_milter"]), (True, "over http", None), doc)
        deadline = time.monotonic() + 5   # the status document is refreshed at most every 2 s
        while True:
            status, st = self.api("GET", "/api/v1/status")
            if st["queue"]["held"] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(st["queue"]["held"], 1, st)
        self.assertEqual([(h["queue_id"], h["reason"], h["milter"]) for h in st["held_messages"]],
                         [(qid, "over http", "")], st)
        status, doc = self.api("POST", "/api/v1/queue/release", {"options": {"all": "1"}})
        self.assertEqual((status, doc.get("released")), (200, [qid]), doc)
        self.assertEqual(self.api("POST", "/api/v1/queue/hold", {"args": ["0123456789ABCDEF"]})[0], 404)

        # Errors: usage 400, unknown command and missing object 404.
        self.assertEqual(self.api("POST", "/api/v1/queue/suspend", {})[0], 400)
        self.assertEqual(self.api("POST", "/api/v1/queue/suspend", {"options": {"bogus": "1"}})[0], 400)
        self.assertEqual(self.api("GET", "/api/v1/queue/list?bogus=1")[0], 400)
        self.assertEqual(self.api("POST", "/api/v1/user/add", {"args": ["x@localhost"], "pw": "x"})[0], 400)
        self.assertEqual(self.api("GET", "/api/v1/queue/teleport")[0], 404)
        self.assertEqual(self.api("GET", "/api/v1/queue/show?arg=0123456789ABCDEF")[0], 404)
        status, doc = self.api("GET", "/api/v1/queue/show?arg=nonsense")
        self.assertEqual(status, 400)
        self.assertIn("is not a queue ID", doc["error"])
        self.assertEqual(self.api("POST", "/api/v1/user/del", {"args": ["nobody@localhost"]})[0], 404)
        commands = [e for e in self.srv.log_events("admin_command") if e.get("via") == "http"]
        self.assertTrue(any(e.get("cmd") == "queue suspend" for e in commands), commands)


class HttpsTokensTest(ServerTestCase):
    """https with the server's self-signed certificate, and bearer tokens."""

    @classmethod
    def setUpClass(cls):
        # The tokens file must exist before the server starts: made with the CLI.
        cls.srv = srv = Server({"http": {"tls": True, "tokens_file": "http-tokens"}}, name="https")
        cls._class_servers = [srv]
        cls.addClassCleanup(srv.cleanup)
        cls.token = srv.cli("http", "token", "new", "ops", check=0).out.strip()
        srv.start()

    def https(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.srv.data_dir, "tls", "cert.pem"))
        c = http.client.HTTPSConnection(HOSTNAME, self.srv.http_port, context=ctx, timeout=10)
        c.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=10),
                                 server_hostname=HOSTNAME)
        self.addCleanup(c.close)
        return c

    def curl(self, path, token=None):
        args = ["curl", "-sS", "-i", "--cacert", os.path.join(self.srv.data_dir, "tls", "cert.pem"),
                "--resolve", "%s:%d:127.0.0.1" % (HOSTNAME, self.srv.http_port),
                "https://%s:%d%s" % (HOSTNAME, self.srv.http_port, path)]
        if token is not None:
            args[1:1] = ["-H", "Authorization: Bearer " + token]
        p = subprocess.run(args, capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.decode()

    def test_the_token_file_holds_hashes_mode_0600(self):
        path = os.path.join(self.srv.tmp, "http-tokens")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        text = open(path).read()
        self.assertRegex(text, r"^ops [0-9a-f]{64}\n")
        for line in text.splitlines():
            self.assertRegex(line, r"^[a-z-]+ [0-9a-f]{64}$")
        self.assertNotIn(self.token, text)
        self.assertRegex(self.token, r"^[A-Za-z0-9_-]{43}$")
        r = self.srv.cli("http", "token", "new", "ops")
        self.assertEqual(r.returncode, 2, r.describe())

    def test_curl_over_https_with_and_without_a_token(self):
        out = self.curl("/api/v1/queue/stats")
        self.assertTrue(out.startswith("HTTP/1.1 401"), out)
        self.assertIn("WWW-Authenticate: Bearer", out)
        self.assertTrue(self.curl("/api/v1/queue/stats", token="not-the-token").startswith("HTTP/1.1 401"))
        out = self.curl("/api/v1/queue/stats", token=self.token)
        self.assertTrue(out.startswith("HTTP/1.1 200"), out)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "http_request" and d.get("token") == "ops"))

    def test_keep_alive_over_tls_and_a_token_added_on_sighup(self):
        c = self.https()
        auth = {"Authorization": "Bearer " + self.token}
        for path in ("/api/v1/commands", "/api/v1/queue/list", "/api/v1/user/list"):
            c.request("GET", path, headers=auth)
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200, path)
        new = self.srv.cli("http", "token", "new", "ci-bot", check=0).out.strip()
        c.request("GET", "/api/v1/queue/list", headers={"Authorization": "Bearer " + new})
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 401, "not before SIGHUP")
        self.srv.proc.send_signal(signal.SIGHUP)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "http_tokens_reloaded" and d.get("tokens") == "2",
                                          timeout=10))
        c.request("GET", "/api/v1/queue/list", headers={"Authorization": "Bearer " + new})
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
