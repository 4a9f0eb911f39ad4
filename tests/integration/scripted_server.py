"""A scripted SMTP server that misbehaves on purpose, for the delivery client's tests.

    srv = ScriptedServer("127.0.0.1", port, [
        ("send", "220 scripted.test ESMTP"),
        ("expect", "EHLO"), ("send", "250-scripted.test", "250 PIPELINING"),
        ("expect", "MAIL"), ("expect", "RCPT"), ("expect", "DATA"),
        ("send", "250 2.1.0 ok", "250 2.1.5 ok", "250 2.0.0 not 354"),   # one write
    ]).start()
    ...
    srv.stop()

Every connection plays the same script; the steps are
  ("send", line, ...)   the lines (CRLF added) in one write;
  ("expect", VERB)      read one command line, which must start with VERB (else
                        the mismatch is recorded in `errors` and the connection closed);
  ("data",)             read DATA lines up to the lone dot (recorded in `bodies`);
  ("chunk",)            read the bytes of the last "BDAT n" command (recorded in `bodies`);
  ("pause", seconds)    wait;
  ("close",)            close the connection at once.
When the script is done the server answers QUIT with 221 (and closes), RSET and
NOOP with 250, and anything else with 503, until the client closes. Sockets
have a timeout, so a silent client never holds a thread for long. Only the
Python standard library; it binds only where told (tests use 127.0.0.0/8).
"""

import socket
import threading
import time

IO_TIMEOUT = 20.0
MAX_LINE = 64 * 1024


class _Closed(Exception):
    pass


class ScriptedServer:
    def __init__(self, host, port, script, name=None):
        self.host = host
        self.port = port
        self.script = list(script)
        self.name = name or "scripted server %s:%d" % (host, port)
        self.lock = threading.Lock()
        self.connections = 0
        self.commands = []      # [(connection, line)] every command line read
        self.bodies = []        # [(connection, bytes)] message data read (DATA or BDAT)
        self.errors = []        # [(connection, text)] script mismatches
        self.transcript = []    # [(time, connection, "C"/"S", text)]
        self._sock = None
        self._thread = None
        self._stopping = threading.Event()
        self._open = []

    # --- lifecycle ---
    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(16)
        s.settimeout(0.1)
        self._sock = s
        self.port = s.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name=self.name)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with self.lock:
            conns = list(self._open)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                n = self.connections
                self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn, n), daemon=True).start()

    # --- one connection ---
    def _note(self, n, who, text):
        with self.lock:
            self.transcript.append((time.time(), n, who, text))

    def _serve(self, conn, n):
        conn.settimeout(IO_TIMEOUT)
        rfile = conn.makefile("rb")
        try:
            self._play(conn, rfile, n)
        except (_Closed, OSError):
            pass
        finally:
            rfile.close()
            conn.close()
            with self.lock:
                if conn in self._open:
                    self._open.remove(conn)

    def _readline(self, rfile, n):
        line = rfile.readline(MAX_LINE)
        if not line:
            raise _Closed()
        return line

    def _command(self, rfile, n):
        text = self._readline(rfile, n).rstrip(b"\r\n").decode("utf-8", "replace")
        self._note(n, "C", text)
        with self.lock:
            self.commands.append((n, text))
        return text

    def _send(self, conn, n, lines):
        for l in lines:
            self._note(n, "S", l)
        conn.sendall("".join(l + "\r\n" for l in lines).encode())

    def _play(self, conn, rfile, n):
        last = ""
        for step in self.script:
            kind = step[0]
            if kind == "send":
                self._send(conn, n, step[1:])
            elif kind == "expect":
                last = self._command(rfile, n)
                if not last.upper().startswith(step[1].upper()):
                    with self.lock:
                        self.errors.append((n, "expected %s, got %r" % (step[1], last)))
                    return
            elif kind == "data":
                parts = []
                while True:
                    line = self._readline(rfile, n)
                    if line == b".\r\n":
                        break
                    parts.append(line[1:] if line.startswith(b".") else line)
                self._body(n, b"".join(parts))
            elif kind == "chunk":
                size = int(last.split()[1])
                data = rfile.read(size)
                if len(data) != size:
                    raise _Closed()
                self._body(n, data)
            elif kind == "pause":
                time.sleep(step[1])
            elif kind == "close":
                self._note(n, "S", "(closed by the script)")
                conn.shutdown(socket.SHUT_RDWR)
                return
        while True:
            verb = self._command(rfile, n).split(" ", 1)[0].upper()
            if verb == "QUIT":
                self._send(conn, n, ["221 2.0.0 bye"])
                return
            self._send(conn, n, ["250 2.0.0 ok" if verb in ("RSET", "NOOP") else "503 5.5.1 out of script"])

    def _body(self, n, data):
        self._note(n, "C", "(%d bytes of message data)" % len(data))
        with self.lock:
            self.bodies.append((n, data))

    def describe(self):
        with self.lock:
            head = "----- %s: %d connections, %d bodies, errors %r" % (
                self.name, self.connections, len(self.bodies), self.errors[:5])
            lines = ["  %.3f #%d %s: %s" % t for t in self.transcript[-40:]]
        return "\n".join([head] + lines)
