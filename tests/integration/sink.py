"""An SMTP sink for the delivery tests: a tiny receiving MTA in background threads.

    sink = SmtpSink("127.0.0.2", port).start()
    ...
    assert sink.wait_messages(3, timeout=20), sink.describe()
    m = sink.messages[0]          # SinkMessage(mail_from, rcpts, data, connection, mail_params, rcpt_params)
    sink.stop()

Per-recipient behaviour by the recipient's local part (checked in this order):
  "defer-once" -> 451 4.3.0 the first time that address is seen, 250 later
  "defer"      -> 451 4.3.0 always
  "reject"     -> 550 5.1.1 no such user
  "drop"       -> the connection is closed (no reply) at that RCPT
  anything else -> 250 2.1.5
A transaction with a recipient whose local part contains "slow" waits SLOW_DELAY
before its reply to the end of DATA / BDAT LAST (a busy connection on demand).
Per-sink options: the EHLO extension set, the greeting (e.g. (554, ...) or
(421, ...)), a delay before the reply to the end of DATA / BDAT LAST, a
limit of concurrent connections (421 beyond it), and a throttle: after
`throttle_after` accepted messages, the next `throttle_count` MAIL commands
get `throttle_reply` (a provider's "421 4.7.28 ... rate limited") and the
connection is closed; then mail is accepted again.

MAIL/RCPT parameters that the advertised extensions do not allow are refused
with 555 5.5.4 and recorded in `protocol_errors`, so a test can check that the
client only used what was offered. Only the Python standard library is used;
it binds only where it is told to (tests use 127.0.0.0/8).
"""

import collections
import socket
import socketserver
import threading
import time

DEFAULT_EXTENSIONS = ("PIPELINING", "8BITMIME", "SIZE", "ENHANCEDSTATUSCODES", "DSN")
SIZE_LIMIT = 50 * 1024 * 1024
MAX_LINE = 64 * 1024
SLOW_DELAY = 0.2           # for "slow" recipients
IO_TIMEOUT = 60.0          # a stuck client never keeps a sink thread forever

SinkMessage = collections.namedtuple(
    "SinkMessage", "mail_from rcpts data connection mail_params rcpt_params")
SinkMessage.__doc__ = """One accepted transaction.
    mail_from: str (the reverse path without <>), rcpts: [accepted recipients],
    data: bytes (dot-unstuffed, CRLF line ends, without the final ".\\r\\n"),
    connection: the 1-based number of the connection it came on,
    mail_params: [str] (e.g. ["SIZE=123", "BODY=8BITMIME"]),
    rcpt_params: {rcpt: [str]} for the accepted recipients."""


def free_port_on(hosts, attempts=50):
    """A TCP port that is free on every address in `hosts` (all bound at once to check)."""
    for _ in range(attempts):
        socks = []
        try:
            s = socket.socket(socket.AF_INET6 if ":" in hosts[0] else socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
            ok = True
            for h in hosts[1:]:
                t = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET, socket.SOCK_STREAM)
                socks.append(t)
                try:
                    t.bind((h, port))
                except OSError:
                    ok = False
                    break
            if ok:
                return port
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no TCP port free on all of %r" % (hosts,))


def _split_address(arg, verb):
    """'FROM:<a@b> X=Y' -> ('a@b', ['X=Y']) or None if malformed."""
    prefix = verb + ":"
    if not arg[:len(prefix)].upper() == prefix:
        return None
    rest = arg[len(prefix):].lstrip(" ")
    if not rest.startswith("<"):
        return None
    end = rest.find(">")
    if end < 0:
        return None
    return rest[1:end], rest[end + 1:].split()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sink):
        self.address_family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.sink = sink
        super().__init__(addr, _Handler)


class _Dropped(Exception):
    pass


class _Handler(socketserver.StreamRequestHandler):
    timeout = IO_TIMEOUT
    disable_nagle_algorithm = True

    # --- io ---
    def reply(self, text):
        self.sink._note(self.conn, "S", text)
        self.wfile.write(text.encode("utf-8") + b"\r\n")

    def readline(self):
        line = self.rfile.readline(MAX_LINE)
        if not line:
            raise EOFError
        return line

    def read_command(self):
        line = self.readline()
        text = line.rstrip(b"\r\n").decode("utf-8", "replace")
        self.sink._note(self.conn, "C", text)
        return text

    # --- session ---
    def handle(self):
        sink = self.sink = self.server.sink
        self.conn = sink._connection_opened(self.request)
        try:
            self.session()
        except (EOFError, OSError, _Dropped):
            pass
        finally:
            sink._connection_closed(self.request)

    def session(self):
        sink = self.sink
        if sink.max_connections is not None and sink.concurrent > sink.max_connections:
            self.reply("421 4.7.0 %s too many connections, try later" % sink.hostname)
            return
        code, text = sink.greeting
        self.reply("%d %s" % (code, text))
        if code == 421:
            return
        if code != 220:
            # RFC 5321 3.1: no service; wait for QUIT, refuse everything else.
            while True:
                verb = self.read_command().split(" ", 1)[0].upper()
                if verb == "QUIT":
                    self.reply("221 2.0.0 bye")
                    return
                self.reply("503 5.5.1 no service here")
        self.ehlo_done = False
        self.esmtp = False
        self.reset()
        while True:
            line = self.read_command()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            handler = getattr(self, "cmd_" + verb, None)
            if handler is None:
                self.reply("500 5.5.2 command not recognized")
                continue
            if handler(arg) == "quit":
                return

    def reset(self):
        self.mail_from = None
        self.mail_params = []
        self.rcpts = []
        self.rcpt_params = {}
        self.chunks = None   # BDAT data collected so far

    def ext(self, name):
        return self.esmtp and name in self.sink.extensions

    # --- commands ---
    def cmd_EHLO(self, arg):
        self.ehlo_done, self.esmtp = True, True
        self.reset()
        self.sink._bump("ehlo")
        self.sink._helo(self.conn, arg.strip())
        lines = ["%s Hello %s" % (self.sink.hostname, arg.strip() or "?")]
        for e in self.sink.extensions:
            lines.append("SIZE %d" % SIZE_LIMIT if e == "SIZE" else e)
        for i, l in enumerate(lines):
            self.reply("250%s%s" % (" " if i == len(lines) - 1 else "-", l))

    def cmd_HELO(self, arg):
        self.ehlo_done, self.esmtp = True, False
        self.reset()
        self.sink._bump("helo")
        self.reply("250 %s Hello %s" % (self.sink.hostname, arg.strip() or "?"))

    def cmd_NOOP(self, arg):
        self.reply("250 2.0.0 Ok")

    def cmd_RSET(self, arg):
        self.reset()
        self.sink._bump("rset")
        self.reply("250 2.0.0 Ok")

    def cmd_QUIT(self, arg):
        self.sink._bump("quit")
        self.reply("221 2.0.0 Bye")
        return "quit"

    def cmd_VRFY(self, arg):
        self.reply("252 2.5.0 Cannot VRFY user")

    def cmd_MAIL(self, arg):
        self.sink._bump("transactions")
        if not self.ehlo_done:
            self.reply("503 5.5.1 EHLO/HELO first")
            return
        if self.mail_from is not None:
            self.reply("503 5.5.1 nested MAIL command")
            return
        parsed = _split_address(arg, "FROM")
        if parsed is None:
            self.reply("501 5.5.4 syntax: MAIL FROM:<address>")
            return
        throttled = self.sink._throttle_now()
        if throttled:
            self.reply(throttled)
            raise _Dropped()   # a 421 ends the connection (RFC 5321 3.8)
        addr, params = parsed
        for p in params:
            key, _, val = p.partition("=")
            key = key.upper()
            allowed = ((key == "SIZE" and self.ext("SIZE")) or
                       (key == "BODY" and val.upper() == "7BIT" and self.esmtp) or
                       (key == "BODY" and val.upper() == "8BITMIME" and self.ext("8BITMIME")) or
                       (key == "BODY" and val.upper() == "BINARYMIME" and self.ext("BINARYMIME")) or
                       (key == "SMTPUTF8" and self.ext("SMTPUTF8")) or
                       (key in ("RET", "ENVID") and self.ext("DSN")))
            if not allowed:
                self.sink._protocol_error(self.conn, "MAIL parameter %s not offered by this sink" % p)
                self.reply("555 5.5.4 MAIL parameter %s not recognized" % p)
                return
        if any(ord(ch) > 127 for ch in addr) and "SMTPUTF8" not in [p.upper() for p in params]:
            self.sink._protocol_error(self.conn, "8-bit sender %r without SMTPUTF8" % addr)
            self.reply("553 5.6.7 SMTPUTF8 required for this address")
            return
        self.mail_from, self.mail_params = addr, params
        self.reply("250 2.1.0 Ok")

    def cmd_RCPT(self, arg):
        if self.mail_from is None:
            self.reply("503 5.5.1 MAIL first")
            return
        parsed = _split_address(arg, "TO")
        if parsed is None:
            self.reply("501 5.5.4 syntax: RCPT TO:<address>")
            return
        addr, params = parsed
        for p in params:
            key = p.partition("=")[0].upper()
            if not (key in ("NOTIFY", "ORCPT") and self.ext("DSN")):
                self.sink._protocol_error(self.conn, "RCPT parameter %s not offered by this sink" % p)
                self.reply("555 5.5.4 RCPT parameter %s not recognized" % p)
                return
        if any(ord(ch) > 127 for ch in addr) and not any(p.upper() == "SMTPUTF8" for p in self.mail_params):
            self.sink._protocol_error(self.conn, "8-bit recipient %r without SMTPUTF8" % addr)
            self.reply("553 5.6.7 SMTPUTF8 required for this address")
            return
        verdict = self.sink._rcpt_verdict(addr, self.conn)
        if verdict == "drop":
            self.sink._note(self.conn, "S", "(connection dropped at RCPT)")
            raise _Dropped()
        if verdict == "defer":
            self.reply("451 4.3.0 <%s> temporary failure, try again later" % addr)
        elif verdict == "reject":
            self.reply("550 5.1.1 <%s> no such user" % addr)
        else:
            self.rcpts.append(addr)
            self.rcpt_params[addr] = params
            self.reply("250 2.1.5 Ok")

    def cmd_DATA(self, arg):
        if self.mail_from is None:
            self.reply("503 5.5.1 MAIL first")
            return
        if not self.rcpts:
            self.reply("554 5.5.1 no valid recipients")
            return
        if self.chunks is not None:
            self.reply("503 5.5.1 DATA after BDAT")
            return
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        parts = []
        while True:
            line = self.readline()
            if line == b".\r\n":
                break
            if not line.endswith(b"\r\n"):
                self.sink._protocol_error(self.conn, "DATA line without CRLF (or longer than %d): %r"
                                          % (MAX_LINE, line[:80]))
            if line.startswith(b"."):
                line = line[1:]
            parts.append(line)
        self.sink._note(self.conn, "C", "(%d bytes of data)" % sum(len(p) for p in parts))
        self.finish_message(b"".join(parts))

    def cmd_BDAT(self, arg):
        if not self.ext("CHUNKING"):
            self.reply("500 5.5.2 command not recognized")
            return
        words = arg.split()
        if not words or not words[0].isdigit() or len(words) > 2 or (len(words) == 2 and words[1].upper() != "LAST"):
            self.reply("501 5.5.4 syntax: BDAT size [LAST]")
            return
        n = int(words[0])
        last = len(words) == 2
        data = self.rfile.read(n) if n else b""
        if len(data) != n:
            raise EOFError
        self.sink._note(self.conn, "C", "(%d bytes of chunk)" % n)
        if self.mail_from is None or not self.rcpts:
            self.reply("554 5.5.1 no valid recipients" if self.mail_from is not None else "503 5.5.1 MAIL first")
            return
        if self.chunks is None:
            self.chunks = []
        self.chunks.append(data)
        if not last:
            self.reply("250 2.0.0 %d octets received" % n)
            return
        self.finish_message(b"".join(self.chunks))

    def finish_message(self, data):
        sink = self.sink
        if sink.data_delay:
            sink._stopping.wait(sink.data_delay)
        if any("slow" in r.rsplit("@", 1)[0].lower() for r in self.rcpts):
            sink._stopping.wait(SLOW_DELAY)
        sink._record(SinkMessage(self.mail_from, list(self.rcpts), data, self.conn,
                                 list(self.mail_params), dict(self.rcpt_params)))
        self.reset()
        self.reply("250 2.0.0 Ok: queued")


class SmtpSink:
    """A receiving SMTP server on (host, port) run by daemon threads."""

    def __init__(self, host="127.0.0.1", port=0, extensions=DEFAULT_EXTENSIONS, extra_extensions=(),
                 greeting=None, data_delay=0.0, max_connections=None, hostname=None, name=None,
                 throttle_after=None, throttle_count=1, throttle_reply="421 4.7.28 rate limited, try later"):
        self.host = host
        self.port = port
        self.extensions = [e.upper() for e in list(extensions) + list(extra_extensions)]
        self.hostname = hostname or "sink-%s.test" % host.replace(".", "-").replace(":", "-")
        self.name = name or "sink %s" % host
        self.greeting = greeting or (220, "%s ESMTP test sink" % self.hostname)
        if isinstance(self.greeting, int):
            self.greeting = (self.greeting, "%s no service" % self.hostname)
        self.data_delay = data_delay
        self.max_connections = max_connections
        self.throttle_after = throttle_after
        self.throttle_left = throttle_count
        self.throttle_reply = throttle_reply
        self.throttle_times = []           # time.monotonic() of each throttle reply
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        self._open = set()
        self._seen = set()                 # addresses seen (for defer-once)
        self.messages = []                 # [SinkMessage]
        self.arrival_times = []            # time.monotonic() of each message's end of data
        self.connection_times = []         # time.monotonic() of each connection's accept
        self.connections = 0               # connections accepted so far
        self.concurrent = 0                # open right now
        self.max_concurrent = 0
        self.counts = collections.Counter()   # transactions (MAIL commands), rset, ehlo, helo, quit
        self.rcpt_log = []                 # [(connection, address, verdict)]
        self.protocol_errors = []          # [(connection, text)]
        self.transcript = collections.deque(maxlen=300)   # (time, connection, "C"/"S", text)
        self.peers = {}                    # connection -> the client's address (its source)
        self.helo_names = {}               # connection -> the client's last EHLO/HELO argument

    # --- lifecycle ---
    def start(self):
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sink-%s:%d" % (self.host, self.port), daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening and close every open connection. Idempotent."""
        self._stopping.set()
        if self._server is None:
            return
        srv, self._server = self._server, None
        srv.shutdown()
        srv.server_close()
        with self._lock:
            socks = list(self._open)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self):
        return "%s:%d" % (self.host, self.port) if ":" not in self.host else "[%s]:%d" % (self.host, self.port)

    # --- counters (thread-safe views) ---
    @property
    def transactions(self):
        with self._lock:
            return self.counts["transactions"]

    @property
    def rsets(self):
        with self._lock:
            return self.counts["rset"]

    def snapshot(self):
        """A copy of the accepted messages."""
        with self._lock:
            return list(self.messages)

    def client_lines(self):
        """The client's command lines in the (bounded) transcript: [(connection, text)]."""
        with self._lock:
            return [(c, t) for _, c, who, t in self.transcript if who == "C"]

    def wait_messages(self, n, timeout):
        """True once at least n messages were accepted; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
            return True

    def wait_rcpt(self, predicate, timeout):
        """The first rcpt_log entry (connection, address, verdict) matching predicate, or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.rcpt_log:
                    if predicate(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.5))

    def describe(self, lines=40):
        """A summary and the transcript tail, for failure messages."""
        with self._lock:
            msgs = list(self.messages)
            head = ("----- %s (%s, greeting %d, extensions %s): %d connections (max %d at once), %d MAIL, %d RSET, "
                    "%d messages, protocol errors %r"
                    % (self.name, self.address, self.greeting[0], " ".join(self.extensions), self.connections,
                       self.max_concurrent, self.counts["transactions"], self.counts["rset"], len(msgs),
                       self.protocol_errors[:5]))
            tail = list(self.transcript)[-lines:]
        out = [head]
        for m in msgs[-5:]:
            out.append("  message on conn %d from <%s> to %s, %d bytes, params %s %s"
                       % (m.connection, m.mail_from, m.rcpts, len(m.data), m.mail_params, m.rcpt_params))
        out.append("  transcript tail:")
        for t, c, who, text in tail:
            out.append("  %.3f #%d %s: %s" % (t, c, who, text if len(text) < 200 else text[:200] + "..."))
        return "\n".join(out)

    # --- called by the handlers ---
    def _connection_opened(self, sock):
        with self._lock:
            self.connections += 1
            self.connection_times.append(time.monotonic())
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            self._open.add(sock)
            n = self.connections
        peer = sock.getpeername()[0]
        with self._lock:
            self.peers[n] = peer
        self._note(n, "S", "(connection %d opened from %s)" % (n, peer))
        return n

    def _helo(self, conn, name):
        with self._lock:
            self.helo_names[conn] = name

    def origin_of(self, message):
        """(client address, EHLO/HELO name) of the connection a SinkMessage came on."""
        with self._lock:
            return self.peers.get(message.connection), self.helo_names.get(message.connection)

    def _connection_closed(self, sock):
        with self._cond:
            self.concurrent -= 1
            self._open.discard(sock)
            self._cond.notify_all()

    def _note(self, conn, who, text):
        with self._lock:
            self.transcript.append((time.time(), conn, who, text))

    def _bump(self, what):
        with self._lock:
            self.counts[what] += 1

    def _protocol_error(self, conn, text):
        with self._lock:
            self.protocol_errors.append((conn, text))

    def _rcpt_verdict(self, addr, conn):
        local = addr.rsplit("@", 1)[0].lower()
        with self._cond:
            if "defer-once" in local:
                verdict = "defer" if addr.lower() not in self._seen else "ok"
                self._seen.add(addr.lower())
            elif "defer" in local:
                verdict = "defer"
            elif "reject" in local:
                verdict = "reject"
            elif "drop" in local:
                verdict = "drop"
            else:
                verdict = "ok"
            self.rcpt_log.append((conn, addr, verdict))
            self._cond.notify_all()
        return verdict

    def _throttle_now(self):
        """The throttle reply for this MAIL command, or None."""
        with self._lock:
            if self.throttle_after is None or len(self.messages) < self.throttle_after or self.throttle_left <= 0:
                return None
            self.throttle_left -= 1
            self.throttle_times.append(time.monotonic())
            return self.throttle_reply

    def _record(self, msg):
        with self._cond:
            self.messages.append(msg)
            self.arrival_times.append(time.monotonic())
            self._cond.notify_all()
