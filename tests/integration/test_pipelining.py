"""PIPELINING (RFC 2920): whole transactions sent in one write."""

import unittest

import harness
from harness import ServerTestCase, make_message, verify_local, verify_queued


class PipeliningTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()
        for u in ("pipe1@localhost", "pipe2@localhost", "two@localhost", "mixed@localhost"):
            cls.srv.add_user(u)

    def test_multi_recipient_in_one_send(self):
        msg = make_message("pipelined", ["one write, three recipients", ".a dot line", "end"],
                           to="pipe1@localhost")
        stuffed = msg.replace(b"\r\n.", b"\r\n..")
        c = self.srv.raw()
        self.addCleanup(c.close)
        c.send(b"EHLO client.test\r\n"
               b"MAIL FROM:<pipeliner@example.org>\r\n"
               b"RCPT TO:<pipe1@localhost>\r\n"
               b"RCPT TO:<pipe2@localhost>\r\n"
               b"RCPT TO:<someone@remote.example>\r\n"
               b"DATA\r\n" + stuffed + b".\r\nQUIT\r\n")
        expect = [(250, None, "EHLO"), (250, "2.1.0", "MAIL"), (250, "2.1.5", "RCPT 1"), (250, "2.1.5", "RCPT 2"),
                  (250, "2.1.5", "RCPT 3 (remote, relay from 127.0.0.1)"), (354, None, "DATA"),
                  (250, "2.0.0", "end of data"), (221, None, "QUIT")]
        replies = []
        for code, enh, what in expect:
            try:
                r = c.read_reply()
            except Exception as e:
                self.fail("reply to %s missing (%r); replies so far %r\n%s" % (what, e, replies, c.transcript()))
            replies.append(r)
            self.assertReply(r, code, enh, client=c, msg="(reply to %s)" % what)
        self.assertClosed(c, 3, "after QUIT")
        qid = harness.parse_qid(replies[6].text)
        verify_local(self, self.srv, "pipe1@localhost", "pipeliner@example.org", qid, msg)
        verify_local(self, self.srv, "pipe2@localhost", "pipeliner@example.org", qid, msg)
        verify_queued(self, self.srv, qid, "pipeliner@example.org", ["someone@remote.example"], msg)

    def test_two_transactions_in_one_send(self):
        m1 = make_message("first of two", ["body one"])
        m2 = make_message("second of two", ["body two"])
        c = self.srv.raw()
        self.addCleanup(c.close)
        c.send(b"EHLO client.test\r\n"
               b"MAIL FROM:<a@example.org>\r\nRCPT TO:<two@localhost>\r\nDATA\r\n" + m1 + b".\r\n"
               b"MAIL FROM:<b@example.org>\r\nRCPT TO:<two@localhost>\r\nDATA\r\n" + m2 + b".\r\n"
               b"QUIT\r\n")
        codes = [250, 250, 250, 354, 250, 250, 250, 354, 250, 221]
        replies = [c.read_reply() for _ in codes]
        self.assertEqual([r.code for r in replies], codes, "replies %r\n%s" % (replies, c.transcript()))
        q1, q2 = harness.parse_qid(replies[4].text), harness.parse_qid(replies[8].text)
        self.assertNotEqual(q1, q2)
        verify_local(self, self.srv, "two@localhost", "a@example.org", q1, m1, marker="first of two")
        verify_local(self, self.srv, "two@localhost", "b@example.org", q2, m2, marker="second of two")

    def test_rejected_recipients_in_pipeline(self):
        msg = make_message("mixed verdicts", ["only mixed@localhost gets this"])
        c = self.srv.raw()
        self.addCleanup(c.close)
        c.send(b"EHLO client.test\r\n"
               b"MAIL FROM:<a@example.org>\r\n"
               b"RCPT TO:<no.such.user@localhost>\r\n"
               b"RCPT TO:<mixed@localhost>\r\n"
               b"RCPT TO:bad-syntax\r\n"
               b"DATA\r\n" + msg + b".\r\nNOOP\r\n")
        r = c.read_replies(7)
        self.assertEqual([x.code for x in r], [250, 250, 550, 250, 501, 354, 250], "replies %r\n%s" % (r, c.transcript()))
        self.assertReply(r[2], 550, "5.1.1", client=c)
        qid = harness.parse_qid(r[6].text)
        self.assertReply(c.read_reply(), 250, client=c, msg="NOOP after the message")
        verify_local(self, self.srv, "mixed@localhost", "a@example.org", qid, msg)

    def test_data_with_no_valid_recipient_in_pipeline(self):
        # RFC 2920: DATA after all RCPTs failed gets 503/554 and the data that
        # follows is then read as commands -- so the client sends no data here;
        # the next command must be answered normally.
        c = self.srv.raw()
        self.addCleanup(c.close)
        c.send(b"EHLO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<no.one@localhost>\r\nDATA\r\nRSET\r\nNOOP\r\n")
        r = c.read_replies(6)
        self.assertEqual([x.code for x in r[:3]], [250, 250, 550], "replies %r\n%s" % (r, c.transcript()))
        self.assertIn(r[3].code, (503, 554), "DATA without valid recipients: %r\n%s" % (r[3], c.transcript()))
        self.assertEqual([x.code for x in r[4:]], [250, 250], "replies %r\n%s" % (r, c.transcript()))


if __name__ == "__main__":
    unittest.main()
