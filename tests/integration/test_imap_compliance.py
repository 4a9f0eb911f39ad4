"""Base IMAP4rev1 compliance, translated from Dovecot's imaptest scripts
(src/tests/select, copy, search-flags, listext; atoms and id from what they
check): \\Recent (RFC 3501 2.3.2), the untagged EXISTS/RECENT replies of
RFC 3501 7.3, NO (not BAD) for a mailbox name that is not modified UTF-7,
ID with RFC 2971's largest fields, and LIST-EXTENDED (RFC 5258).

As in imaptest, strings compare case-insensitively, untagged replies may
come in any order and extra ones are ignored unless a check bans them."""

import re
import time

from harness import ServerTestCase, make_message
from retrieval import RawImap

PASSWORD = "compliance-pw-1"
BOX = "imaptest"


def lower(resp):
    return resp.first.decode("utf-8", "replace").lower()


def status_of(line):
    """The items of an untagged STATUS response, as {item: number}."""
    m = re.search(r"\(([^)]*)\)$", line)
    assert m, line
    words = m.group(1).split()
    return dict(zip(words[::2], map(int, words[1::2])))


def flags_of(line):
    """The FLAGS list of an untagged FETCH response, as a lower-cased set."""
    m = re.search(r"flags \(([^)]*)\)", line)
    assert m, line
    return set(m.group(1).split())


class Session:
    """One connection with imaptest's expectations: run(status, command)
    sends it and checks the tagged status; the untagged replies are kept."""

    def __init__(self, case, port):
        self.case = case
        self.c = RawImap(port)
        case.addCleanup(self.c.close)

    def run(self, status, text, literal=None):
        tagged, untagged = self.c.command(text, literal)
        got = tagged.first.split(b" ", 2)[1].decode().lower()
        if status is not None:
            self.case.assertEqual(got, status, "%s -> %r\n%s" % (text, tagged, self.c.transcript()))
        self.tagged = tagged.first.decode("utf-8", "replace").lower()
        self.untagged = [lower(r) for r in untagged]
        return self.untagged

    def has(self, line):
        self.case.assertIn(line.lower(), self.untagged, self.c.transcript())

    def lacks(self, pattern):
        bad = [u for u in self.untagged if re.search(pattern, u)]
        self.case.assertEqual(bad, [], self.c.transcript())

    def append(self, mailbox, subject):
        msg = make_message(subject, ["body of " + subject])
        return self.run("ok", "APPEND %s" % mailbox, literal=msg)


class ImapComplianceTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server()

    def session(self, user):
        s = Session(self, self.srv.imap_port)
        s.run("ok", 'LOGIN "%s" "%s"' % (user, PASSWORD))
        return s

    def user(self, name):
        address = "%s@localhost" % name
        self.srv.add_user(address, PASSWORD)
        return address

    # --- select -------------------------------------------------------------

    def test_select_reports_exists_recent_unseen_uidvalidity_uidnext(self):
        s = self.session(self.user("selecter"))
        s.run(None, "DELETE %s" % BOX)
        s.run("ok", "CREATE %s" % BOX)
        s.append(BOX, "one")
        s.append(BOX, "two")
        s.run("ok", "SELECT %s" % BOX)
        s.has("* 2 exists")
        s.has("* 2 recent")
        self.assertTrue([u for u in s.untagged if u.startswith("* ok [unseen 1]")], s.untagged)
        self.assertTrue([u for u in s.untagged if u.startswith("* ok [uidvalidity ")], s.untagged)
        self.assertTrue([u for u in s.untagged if u.startswith("* ok [uidnext 3]")], s.untagged)
        self.assertTrue(s.tagged.split(" ", 2)[2].startswith("[read-write]"), s.tagged)

    # --- copy ---------------------------------------------------------------

    def test_copy_into_a_mailbox_selected_elsewhere_is_exists_and_recent_there(self):
        user = self.user("copier")
        one = self.session(user)
        one.run("ok", "CREATE %s" % BOX)
        one.run("ok", "SELECT %s" % BOX)
        for i in range(5):
            one.append(BOX, "m%d" % (i + 1))
        two = self.session(user)
        two.run(None, "DELETE %s2" % BOX)
        two.run("ok", "CREATE %s2" % BOX)
        two.run("ok", "SELECT %s2" % BOX)

        one.run("ok", "STORE 1 FLAGS (\\Seen)")
        one.run("ok", "STORE 2 FLAGS (\\Draft \\Flagged)")
        one.run("ok", "STORE 5 FLAGS (\\Flagged $keyword1 $keyword2)")
        one.run("ok", "FETCH 1:5 (INTERNALDATE)")
        dates = {}
        for u in one.untagged:
            m = re.match(r'\* (\d+) fetch \(internaldate "([^"]+)"\)', u)
            if m:
                dates[int(m.group(1))] = m.group(2)
        self.assertEqual(sorted(dates), [1, 2, 3, 4, 5], one.untagged)
        one.run("ok", "COPY 1:2,4 %s2" % BOX)
        time.sleep(0.2)   # the change notice is posted to the other session's ring

        two.run("ok", "NOOP")
        two.has("* 3 exists")
        two.has("* 3 recent")
        two.run("ok", "FETCH 1:3 (FLAGS INTERNALDATE)")
        want = {1: ({"\\recent", "\\seen"}, dates[1]), 2: ({"\\recent", "\\draft", "\\flagged"}, dates[2]),
                3: ({"\\recent"}, dates[4])}
        for n, (flags, date) in want.items():
            line = [u for u in two.untagged if u.startswith("* %d fetch " % n)]
            self.assertEqual(len(line), 1, two.untagged)
            self.assertEqual(flags_of(line[0]), flags, line[0])
            self.assertIn('internaldate "%s"' % date, line[0])

        two.run("ok", "STORE 3 +FLAGS ($keyword1 $keyword2)")
        one.run("ok", "COPY 5 %s2" % BOX)
        time.sleep(0.2)
        two.run("ok", "NOOP")
        two.has("* 4 exists")
        two.has("* 4 recent")
        two.run("ok", "FETCH 4 (FLAGS INTERNALDATE)")
        line = [u for u in two.untagged if u.startswith("* 4 fetch ")]
        self.assertEqual(len(line), 1, two.untagged)
        self.assertEqual(flags_of(line[0]), {"\\recent", "\\flagged", "$keyword1", "$keyword2"}, line[0])
        self.assertIn('internaldate "%s"' % dates[5], line[0])
        two.run("ok", "CLOSE")
        two.run(None, "DELETE %s2" % BOX)

    def test_copy_into_the_selected_mailbox_reports_exists_and_recent(self):
        s = self.session(self.user("selfcopier"))
        s.run("ok", "CREATE %s" % BOX)
        s.append(BOX, "one")
        s.run("ok", "SELECT %s" % BOX)
        s.has("* 1 recent")
        copied = s.run("ok", "COPY 1 %s" % BOX)
        copied = copied + s.run("ok", "NOOP")
        # The copy is new to this session, which has the mailbox selected:
        # it gets EXISTS, RECENT and the \Recent flag.
        self.assertIn("* 2 exists", copied)
        self.assertIn("* 2 recent", copied)
        s.run("ok", "FETCH 1:2 (FLAGS)")
        self.assertEqual(len(s.untagged), 2, s.untagged)
        for line in s.untagged:
            self.assertIn("\\recent", flags_of(line), s.untagged)

    # --- search-flags ---------------------------------------------------------

    def test_search_by_flags_new_old_recent(self):
        s = self.session(self.user("flagsearcher"))
        s.run("ok", "CREATE %s" % BOX)
        for i in range(5):
            s.append(BOX, "m%d" % (i + 1))
        s.run("ok", "SELECT %s" % BOX)
        s.run("ok", "STORE 1 FLAGS ($hello)")
        s.run("ok", "STORE 2 FLAGS (\\Seen \\Flagged)")
        s.run("ok", "STORE 3 FLAGS (\\Answered $hello)")
        s.run("ok", "STORE 4 FLAGS (\\Flagged \\Draft)")
        s.run("ok", "STORE 5 FLAGS (\\Deleted \\Answered)")
        expected = [
            ("ANSWERED", "3 5"), ("UNANSWERED", "1 2 4"), ("DELETED", "5"), ("UNDELETED", "1 2 3 4"),
            ("DRAFT", "4"), ("UNDRAFT", "1 2 3 5"), ("FLAGGED", "2 4"), ("UNFLAGGED", "1 3 5"),
            ("SEEN", "2"), ("UNSEEN", "1 3 4 5"), ("KEYWORD $hello", "1 3"), ("UNKEYWORD $hello", "2 4 5"),
            ("NEW", "1 3 4 5"), ("OLD", ""), ("RECENT", "1 2 3 4 5"),
        ]
        for key, result in expected:
            s.run("ok", "SEARCH " + key)
            self.assertIn(("* search " + result).strip(), s.untagged, key)

    # --- \Recent (RFC 3501 2.3.2) --------------------------------------------

    def test_recent_belongs_to_the_first_session_that_selects(self):
        user = self.user("recenter")
        a = self.session(user)
        a.run("ok", "CREATE %s" % BOX)
        a.append(BOX, "one")
        a.append(BOX, "two")
        a.run("ok", "STATUS %s (RECENT MESSAGES)" % BOX)
        self.assertEqual(status_of(a.untagged[0]), {"recent": 2, "messages": 2})
        # EXAMINE sees them as recent but does not take them.
        a.run("ok", "EXAMINE %s" % BOX)
        a.has("* 2 recent")
        b = self.session(user)
        b.run("ok", "SELECT %s" % BOX)
        b.has("* 2 recent")
        b.run("ok", "FETCH 1:2 (FLAGS)")
        self.assertTrue(all("\\recent" in flags_of(u) for u in b.untagged), b.untagged)
        # STORE cannot take \Recent away (nor set it).
        b.run("ok", "STORE 1 FLAGS (\\Seen)")
        self.assertEqual(flags_of(b.untagged[0]), {"\\seen", "\\recent"}, b.untagged)
        c = self.session(user)
        c.run("ok", "SELECT %s" % BOX)
        c.has("* 0 recent")
        c.run("ok", "FETCH 1:2 (FLAGS)")
        self.assertFalse([u for u in c.untagged if "\\recent" in u], c.untagged)
        c.run("ok", "SEARCH RECENT")
        c.has("* search")
        c.run("ok", "SEARCH OLD")
        c.has("* search 1 2")
        c.run("ok", "STATUS INBOX (RECENT)")
        # A new message goes to one of the sessions that have it selected:
        # the first to report it.
        a.run("ok", "CLOSE")
        a.append(BOX, "three")
        time.sleep(0.2)
        c.run("ok", "NOOP")
        c.has("* 3 exists")
        c.has("* 1 recent")
        c.run("ok", "FETCH 3 (FLAGS)")
        self.assertIn("\\recent", flags_of(c.untagged[0]))
        c.run("ok", "SEARCH NEW")
        c.has("* search 3")
        b.run("ok", "NOOP")
        b.has("* 3 exists")
        b.lacks(r"^\* 3 recent")
        b.run("ok", "FETCH 3 (FLAGS)")
        self.assertNotIn("\\recent", flags_of(b.untagged[0]))
        a.run("ok", "STATUS %s (RECENT)" % BOX)
        self.assertEqual(status_of(a.untagged[0]), {"recent": 0})

    def test_delivery_to_a_selected_inbox_is_recent_there(self):
        user = self.user("delivered")
        s = self.session(user)
        s.run("ok", "SELECT INBOX")
        s.has("* 0 recent")
        self.srv.send("sender@example.org", [user], make_message("fresh", ["new mail"], to=user))
        self.srv.wait_mailbox(user, 1)
        time.sleep(0.2)
        s.run("ok", "NOOP")
        s.has("* 1 exists")
        s.has("* 1 recent")

    # --- atoms: mailbox names that are not modified UTF-7 ---------------------

    def test_invalid_modified_utf7_name_is_no_and_the_session_goes_on(self):
        s = self.session(self.user("atomist"))
        bad_names = ['"&"', '"&-x&"', '"&Jjo"', '"&AGE-"', '"&Jjo-&Jjo-"', '"a&b"']
        # More of them than the limit of BAD commands (20): a NO does not count.
        for i in range(4):
            for name in bad_names:
                s.run("no", "SELECT %s" % name)
                s.run("no", "CREATE %s" % name)
                s.run("no", "STATUS %s (MESSAGES)" % name)
        s.run("ok", "NOOP")
        s.run("ok", 'CREATE "&ZeVnLIqe-"')
        s.run("ok", 'SELECT "&ZeVnLIqe-"')

    # --- id: RFC 2971's limits ------------------------------------------------

    def id_command(self):
        fields = []
        for i in range(30):
            name = ("field%02d" % i).ljust(30, "x")
            value = ("value %d " % i).ljust(1024, "v")
            fields.append('"%s" "%s"' % (name, value))
        return "ID (%s)" % " ".join(fields)

    def test_id_with_thirty_longest_fields_is_accepted_before_and_after_login(self):
        user = self.user("identified")
        s = Session(self, self.srv.imap_port)
        s.run("ok", self.id_command())
        self.assertTrue([u for u in s.untagged if u.startswith("* id ")], s.untagged)
        s.run("ok", 'LOGIN "%s" "%s"' % (user, PASSWORD))
        s.run("ok", self.id_command())
        s.run("ok", "ID NIL")
        s.run("ok", "NOOP")

    # --- listext (RFC 5258) ---------------------------------------------------

    def test_list_extended(self):
        s = self.session(self.user("lister"))
        s.run("ok", 'LIST "" ""')
        s.has('* list (\\noselect) "/" ""')
        b = BOX + "/"
        for name in ["test1", "test2/", "test2/test1", "test3", "test4/test5", "test4/test52", "test6",
                     "test7/test7", "test8/test8", "test8/test9"]:
            s.run("ok", "CREATE %s%s" % (b, name))
        for name in ["test1", "test2/test1", "test6", "test7/test7", "test8/test8", "test8/test9"]:
            s.run("ok", "SUBSCRIBE %s%s" % (b, name))
        s.run("ok", "DELETE %stest6" % b)

        def listed(name):
            return [u for u in s.untagged if u.endswith('"/" %s' % name.lower()) or
                    ('"/" %s (' % name.lower()) in u]

        def attrs(line):
            return set(re.match(r"\* list \(([^)]*)\)", line).group(1).split())

        # Several patterns.
        s.run("ok", 'LIST "" (%s*2 %stest3)' % (b, b))
        for name in ["test2", "test3", "test4/test52"]:
            self.assertEqual(len(listed(b + name)), 1, (name, s.untagged))
        for name in ["test1", "test2/test1", "test4", "test4/test5", "test6"]:
            self.assertEqual(listed(b + name), [], (name, s.untagged))

        # Errors.
        s.run("bad", 'LIST (imaptest) "" ""')
        s.run("bad", 'LIST (recursivematch) "" ""')
        s.run("bad", 'LIST (recursivematch remote) "" ""')
        s.run("bad", 'LIST "" "" RETURN (imaptest)')
        s.run("ok", 'LIST (remote) "" %')

        # A deleted mailbox keeps its subscription.
        s.run("ok", 'LIST (subscribed) "" %s*' % b)
        for name in ["test1", "test2/test1", "test7/test7", "test8/test9"]:
            lines = listed(b + name)
            self.assertEqual(len(lines), 1, (name, s.untagged))
            self.assertIn("\\subscribed", attrs(lines[0]))
        lines = listed(b + "test6")
        self.assertEqual(len(lines), 1, s.untagged)
        self.assertIn("\\subscribed", attrs(lines[0]))
        self.assertIn("\\nonexistent", attrs(lines[0]))
        self.assertNotIn("\\noselect", attrs(lines[0]))

        s.run("ok", 'LIST (subscribed recursivematch) "" %stest2%% RETURN (children)' % b)
        lines = listed(b + "test2")
        self.assertEqual(len(lines), 1, s.untagged)
        self.assertIn("\\haschildren", attrs(lines[0]))
        self.assertNotIn("\\subscribed", attrs(lines[0]))
        self.assertTrue(re.search(r'\("?childinfo"? \("subscribed"\)\)$', lines[0]), lines[0])
        self.assertEqual(listed(b + "test2/test1"), [], s.untagged)

        s.run("ok", 'LIST "" %s%% RETURN (children subscribed)' % b)
        want = {"test1": ({"\\subscribed", "\\hasnochildren"}, True), "test2": ({"\\haschildren"}, False),
                "test3": ({"\\hasnochildren"}, False), "test4": ({"\\haschildren"}, False),
                "test7": ({"\\haschildren"}, False), "test8": ({"\\haschildren"}, False)}
        for name, (must, subscribed) in want.items():
            lines = listed(b + name)
            self.assertEqual(len(lines), 1, (name, s.untagged))
            self.assertTrue(must <= attrs(lines[0]), lines[0])
            self.assertEqual("\\subscribed" in attrs(lines[0]), subscribed, lines[0])

        s.run("ok", 'LIST (subscribed recursivematch) "" *test7')
        self.assertEqual(listed(b + "test7"), [], s.untagged)
        self.assertEqual(len(listed(b + "test7/test7")), 1, s.untagged)

        s.run("ok", 'LIST (subscribed recursivematch) "" *test8')
        lines = listed(b + "test8")
        self.assertEqual(len(lines), 1, s.untagged)
        self.assertNotIn("\\subscribed", attrs(lines[0]))
        self.assertTrue(re.search(r'\("?childinfo"? \("subscribed"\)\)$', lines[0]), lines[0])
        self.assertEqual(len(listed(b + "test8/test8")), 1, s.untagged)

        s.run("ok", 'LIST (subscribed recursivematch) "" (%stest2)' % b)
        lines = listed(b + "test2")
        self.assertEqual(len(lines), 1, s.untagged)
        self.assertTrue(re.search(r'\("?childinfo"? \("subscribed"\)\)$', lines[0]), lines[0])
        self.assertEqual(listed(b + "test2/test1"), [], s.untagged)

        s.run("ok", 'LIST (subscribed recursivematch) "" (%stest2 %stest2/test1)' % (b, b))
        self.assertEqual(listed(b + "test2"), [], s.untagged)
        lines = listed(b + "test2/test1")
        self.assertEqual(len(lines), 1, s.untagged)
        self.assertIn("\\subscribed", attrs(lines[0]))

        s.run("ok", 'LIST "" (%stest7 %stest7/test7)' % (b, b))
        self.assertFalse([u for u in listed(b + "test7") if "\\nonexistent" in attrs(u)], s.untagged)
        self.assertEqual(len(listed(b + "test7/test7")), 1, s.untagged)

        # The subscription of the deleted mailbox can still be removed.
        s.run("ok", "UNSUBSCRIBE %stest6" % b)
        s.run("ok", 'LIST (subscribed) "" %s*' % b)
        self.assertEqual(listed(b + "test6"), [], s.untagged)
        # A mailbox created again under a subscribed name is subscribed.
        s.run("ok", "DELETE %stest1" % b)
        s.run("ok", "CREATE %stest1" % b)
        s.run("ok", 'LSUB "" %stest1' % b)
        self.assertEqual(len(listed(b + "test1")), 1, s.untagged)
