"""The injection API, POST /api/v1/messages (issue 14 item 2; docs/HTTP.md "Injection"), against the real
binary with curl and Python's http.client: raw and structured content (composed MIME checked with Python's
email package, substitutions per recipient, attachments), the answers (200 with queue IDs and refused
recipients, 400 with the field at fault, 413, 422, 429 with Retry-After), keep-alive with many requests on
one connection, and durability: the server is killed -9 right after its last 200, and every message it
answered for is in the store after the restart, exactly once."""

import email
import email.policy
import http.client
import json
import subprocess

from harness import ServerTestCase

ANN, BOB = "ann@local.test", "bob@local.test"


class HttpInjectionTest(ServerTestCase):

    def server(self, **http):
        srv = self.start_server({"smtp": {"max_message_size": 40000}, "http": http})
        srv.add_user(ANN)
        srv.add_user(BOB)
        return srv

    def post(self, srv, body, conn=None):
        c = conn or http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=20)
        c.request("POST", "/api/v1/messages", body=json.dumps(body) if not isinstance(body, (str, bytes)) else body,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, json.loads(data), r

    def mailbox(self, srv, address):
        """The messages in a user's INBOX, parsed."""
        out = []
        for mid, _ in srv.mailbox_list(address):
            out.append(email.message_from_bytes(srv.mailbox_show(address, mid), policy=email.policy.default))
        return out

    def test_raw_content_is_accepted_like_smtp_mail(self):
        srv = self.server()
        raw = "From: app@example.com\nTo: ann@local.test\nSubject: raw injection\n\nHello Ann.\n"
        p = subprocess.run(["curl", "-sS", "--fail-with-body", "-H", "Content-Type: application/json",
                            "--data-binary", json.dumps({"envelope_sender": "app@example.com",
                                                          "recipients": [ANN, BOB], "content": raw}),
                            "http://127.0.0.1:%d/api/v1/messages" % srv.http_port],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["success_count"], 2)
        self.assertEqual(doc["fail_count"], 0)
        self.assertEqual(len(doc["messages"]), 1, "raw content without substitutions: one message")
        self.assertEqual(sorted(doc["messages"][0]["recipients"]), [ANN, BOB])
        qid = doc["messages"][0]["queue_id"]
        srv.wait_mailbox(ANN, 1)
        srv.wait_mailbox(BOB, 1)
        m = self.mailbox(srv, ANN)[0]
        self.assertEqual(m["Subject"], "raw injection")
        self.assertIn("with HTTP id %s" % qid, str(m["Received"]))
        self.assertIsNotNone(m["Date"], "added as on submission")
        self.assertIsNotNone(m["Message-ID"])
        self.assertEqual(m.get_content().strip(), "Hello Ann.")

    def test_structured_content_is_composed_per_recipient(self):
        srv = self.server()
        status, doc, _ = self.post(srv, {
            "envelope_sender": "bounces@example.com",
            "recipients": [{"email": ANN, "name": "Ann Äbel", "substitutions": {"first": "Ann"}},
                           {"email": BOB, "substitutions": {"first": "Bob"}}],
            "substitutions": {"shop": "Example Shop"},
            "content": {"from": {"email": "news@example.com", "name": "Example News"},
                        "subject": "Hi {{first}}, news from {{ shop }}",
                        "text_body": "Dear {{first}},\nthe news.\n", "html_body": "<p>Dear {{first}}</p>",
                        "headers": {"List-Unsubscribe": "<https://example.com/unsub>"},
                        "attachments": [{"data": "aGVsbG8gd29ybGQ=", "base64": True, "content_type": "text/plain",
                                         "file_name": "hello.txt"}]}})
        self.assertEqual(status, 200, doc)
        self.assertEqual(len(doc["messages"]), 2, "one message per recipient")
        srv.wait_mailbox(ANN, 1)
        srv.wait_mailbox(BOB, 1)
        for address, first in ((ANN, "Ann"), (BOB, "Bob")):
            m = self.mailbox(srv, address)[0]
            self.assertEqual(m["Subject"], "Hi %s, news from Example Shop" % first)
            self.assertEqual(m["From"], "Example News <news@example.com>")
            self.assertIn(address, m["To"])
            self.assertNotIn(BOB if address == ANN else ANN, m["To"], "nobody sees the other recipients")
            self.assertEqual(m["List-Unsubscribe"], "<https://example.com/unsub>")
            self.assertEqual(m.get_content_type(), "multipart/mixed")
            self.assertEqual(m.get_body(("plain",)).get_content().replace("\r\n", "\n"), "Dear %s,\nthe news.\n" % first)
            self.assertIn("Dear %s" % first, m.get_body(("html",)).get_content())
            att = [p for p in m.iter_attachments()]
            self.assertEqual([(p.get_filename(), p.get_content()) for p in att], [("hello.txt", "hello world")])
        self.assertEqual(str(self.mailbox(srv, ANN)[0]["To"]), "Ann Äbel <ann@local.test>")

    def test_answers_name_what_went_wrong(self):
        srv = self.server(max_message_rate="4/min")
        status, doc, _ = self.post(srv, "{not json")
        self.assertEqual(status, 400)
        self.assertTrue(doc["error"].startswith("not valid JSON"), doc)
        status, doc, _ = self.post(srv, {"envelope_sender": "a@example.com", "recipients": [ANN]})
        self.assertEqual((status, doc["error"]), (400, "content: missing"))
        status, doc, _ = self.post(srv, {"envelope_sender": "a@example.com", "recipients": [ANN],
                                         "content": "Subject: big\n\n" + "x" * 50000})
        self.assertEqual(status, 413, doc)
        status, doc, _ = self.post(srv, {"envelope_sender": "a@example.com", "recipients": ["nobody@local.test"],
                                         "content": "Subject: x\n\ny"})
        self.assertEqual(status, 422, doc)
        self.assertEqual(doc["failed_recipients"][0]["enhanced_code"], "5.1.1")
        # Accepted for one, refused for the other: 200, and the refusal listed.
        status, doc, _ = self.post(srv, {"envelope_sender": "a@example.com", "recipients": [ANN, "nobody@local.test"],
                                         "content": "Subject: half\n\ny"})
        self.assertEqual(status, 200, doc)
        self.assertEqual((doc["success_count"], doc["fail_count"]), (1, 1))
        self.assertEqual(doc["failed_recipients"][0]["recipient"], "nobody@local.test")
        self.assertEqual(doc["failed_recipients"][0]["code"], 550)
        # 4/min: the three well-formed requests above used 3 (refused or not); one more passes, the next waits.
        status, doc, _ = self.post(srv, {"envelope_sender": "", "recipients": [ANN], "content": "Subject: 3\n\ny"})
        self.assertEqual(status, 200, doc)
        status, doc, r = self.post(srv, {"envelope_sender": "", "recipients": [ANN], "content": "Subject: 4\n\ny"})
        self.assertEqual(status, 429, doc)
        self.assertGreaterEqual(int(r.getheader("Retry-After")), 1)

    def test_keep_alive_and_a_kill_right_after_the_last_200_lose_nothing(self):
        srv = self.server()
        conn = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=20)
        self.addCleanup(conn.close)
        qids = []
        for i in range(40):
            status, doc, r = self.post(srv, {"envelope_sender": "app@example.com", "recipients": [ANN],
                                             "content": "Subject: durable %d\n\nbody %d\n" % (i, i)}, conn=conn)
            self.assertEqual(status, 200, doc)
            self.assertNotEqual((r.getheader("Connection") or "").lower(), "close")
            qids.append(doc["messages"][0]["queue_id"])
        srv.kill()   # SIGKILL at once: every 200 above must already be durable
        srv.start()
        srv.wait_mailbox(ANN, 40, timeout=30)
        subjects = sorted(m["Subject"] for m in self.mailbox(srv, ANN))
        self.assertEqual(subjects, sorted("durable %d" % i for i in range(40)), "each answered message once")
        self.assertEqual(len(set(qids)), 40)


if __name__ == "__main__":
    import unittest
    unittest.main()
