"""Milters for the milter client's tests (test_milter.py) and benchmark:

ScriptedMilter -- a small milter server speaking the wire protocol
(libmilter's mfdef.h: 4-byte big-endian length, code, payload), so that
every action is tested deterministically: what it answers at the end of a
message is a function of the message it received (macros, envelope,
headers, body), and it records each message.

Rspamd -- a real rspamd started as a child process with a generated
configuration under a temp dir: only its proxy worker, in milter mode with
self-scan, on a loopback port; no redis."""

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import harness

# Protocol bits (SMFIP_*) a milter may ask for.
NR_ALL = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x40000 | 0x80000 | 0x80   # no reply before EOB
NO_BODY = 0x10


def packet(code, payload=b""):
    return struct.pack(">I", len(payload) + 1) + code + payload


def cstrings(*items):
    return b"".join(i.encode() + b"\0" if isinstance(i, str) else i + b"\0" for i in items)


def add_header(name, value):
    return packet(b"h", cstrings(name, value))


def change_header(index, name, value):
    return packet(b"m", struct.pack(">I", index) + cstrings(name, value))


def insert_header(index, name, value):
    return packet(b"i", struct.pack(">I", index) + cstrings(name, value))


def reply_code(text):
    return packet(b"y", cstrings(text))


ACCEPT, CONTINUE, REJECT, TEMPFAIL, DISCARD = (packet(c) for c in (b"a", b"c", b"r", b"t", b"d"))


class Message:
    """What the milter was told about one message."""

    def __init__(self):
        self.macros = {}
        self.connect = None   # (hostname, family, port, address)
        self.helo = None
        self.sender = None
        self.rcpts = []
        self.headers = []     # [(name, value)]
        self.body = b""
        self.commands = b""   # every command code, in order


class ScriptedMilter:
    """`script(message)` -> the reply packets at the end of the body
    (default: accept). `protocol`: the SMFIP_* bits it asks for; `delay`:
    seconds to sleep before answering the end of the body;
    `close_after_message`: hang up after each answer, as a milter whose
    idle timeout struck would."""

    def __init__(self, script=None, protocol=0, delay=0.0, version=6, close_after_message=False):
        self.script = script or (lambda m: [ACCEPT])
        self.close_after_message = close_after_message   # hang up after each answer (an idle timeout of 0)
        self.protocol = protocol
        self.delay = delay
        self.version = version
        self.messages = []
        self.connections = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", harness.free_port()))   # run.py's port block, not the kernel's pick
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.address = "127.0.0.1:%d" % self.port
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def wait_messages(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _answers(self, code):
        """Whether the command `code` gets a reply under self.protocol."""
        nr = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"T": 0x10000, b"L": 0x80,
              b"N": 0x40000, b"B": 0x80000}
        return code in nr and not (self.protocol & nr[code])

    def _serve(self, conn):
        msg = Message()
        try:
            while True:
                (length,) = struct.unpack(">I", self._read(conn, 4))
                data = self._read(conn, length)
                code, payload = data[:1], data[1:]
                msg.commands += code
                if code == b"O":
                    conn.sendall(packet(b"O", struct.pack(">III", self.version, 0x1ff, self.protocol)))
                    continue
                if code == b"Q":
                    return
                if code in (b"K", b"A"):
                    msg = Message()
                    continue
                if code == b"E":
                    with self.lock:
                        self.messages.append(msg)
                    if self.delay:
                        time.sleep(self.delay)
                    conn.sendall(b"".join(self.script(msg)))
                    if self.close_after_message:
                        return
                    msg = Message()
                    continue
                self._record(msg, code, payload)
                if self._answers(code):
                    conn.sendall(CONTINUE)
        except (EOFError, OSError):
            pass
        finally:
            conn.close()

    @staticmethod
    def _record(msg, code, payload):
        parts = payload.split(b"\0")
        if code == b"D":
            items = payload[1:].split(b"\0")
            for i in range(0, len(items) - 1, 2):
                msg.macros[items[i].decode()] = items[i + 1].decode()
        elif code == b"C":
            host, rest = payload.split(b"\0", 1)
            fam = rest[:1]
            if fam in (b"4", b"6"):
                msg.connect = (host.decode(), fam.decode(), struct.unpack(">H", rest[1:3])[0], rest[3:-1].decode())
            else:
                msg.connect = (host.decode(), fam.decode(), 0, "")
        elif code == b"H":
            msg.helo = parts[0].decode()
        elif code == b"M":
            msg.sender = parts[0].decode()
        elif code == b"R":
            msg.rcpts.append(parts[0].decode())
        elif code == b"L":
            msg.headers.append((parts[0].decode(), parts[1].decode()))
        elif code == b"B":
            msg.body += payload


def rspamd_binary():
    return shutil.which("rspamd") or ("/usr/bin/rspamd" if os.path.exists("/usr/bin/rspamd") else None)


# rspamd's configuration: one worker, the proxy in milter mode scanning
# itself; LOCAL_CONFDIR, DBDIR, RUNDIR and LOGDIR in the temp dir; DNS to a
# closed loopback port, so that network checks fail at once and stay local.
# "full": the Debian package's modules, rules, actions and scores
# ($CONFDIR/common.conf: what a benchmark should scan with); else only what
# the tests need -- the actions, GTUBE (built in) and milter_headers -- which
# starts in seconds instead of a minute (no 9,600 TLD suffixes to compile,
# no 40 Lua modules to set up).
RSPAMD_WORKER = """
worker "rspamd_proxy" {{
  bind_socket = "127.0.0.1:{port}";
  milter = yes;
  timeout = 120s;
  upstream "local" {{ default = yes; self_scan = yes; }}
  count = {count};
  spam_header = "X-Spam";
  reject_message = "Spam message rejected";
}}
logging {{
  type = "file";
  filename = "{tmp}/rspamd.log";
  level = "info";
}}
"""

RSPAMD_FULL = """
.include "$CONFDIR/common.conf"
options {{
  pidfile = "{tmp}/rspamd.pid";
  .include "$CONFDIR/options.inc"
  hs_cache_dir = "{cache}";
  dns {{ nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }}
}}
"""

RSPAMD_SMALL = """
options {{
  pidfile = "{tmp}/rspamd.pid";
  hs_cache_dir = "{cache}";
  url_tld = "{tmp}/tld.dat";
  dns {{ nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }}
}}
.include "$CONFDIR/actions.conf"
.include "$CONFDIR/metrics.conf"
modules {{ path = "${{PLUGINSDIR}}"; }}
milter_headers {{
  .include "{tmp}/local.d/milter_headers.conf"
}}
"""

# Compiled Hyperscan databases (the 9,600 TLD suffixes, the regexp rules)
# outlive one rspamd: compiling them takes most of a first start.
HS_CACHE = os.path.join(tempfile.gettempdir(), "ringpost-rspamd-hs-cache")

# Headers on every message, also from loopback and authenticated clients.
MILTER_HEADERS = """
use = ["x-spamd-bar", "x-spam-level", "x-spam-status", "x-rspamd-queue-id", "x-rspamd-server"];
skip_local = false;
skip_authenticated = false;
extended_spam_headers = true;
"""

class Rspamd:
    """A real rspamd (Debian package) in milter mode on a loopback port."""

    def __init__(self, port=None, count=1, full=False):
        self.count = count
        self.full = full
        self.binary = rspamd_binary()
        self.tmp = tempfile.mkdtemp(prefix="ringpost-it-rspamd-")
        self.port = port or harness.free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.proc = None

    def start(self, timeout=60.0):
        os.makedirs(os.path.join(self.tmp, "db"), exist_ok=True)
        os.makedirs(os.path.join(self.tmp, "local.d"), exist_ok=True)
        os.makedirs(HS_CACHE, exist_ok=True)
        conf = os.path.join(self.tmp, "rspamd.conf")
        with open(conf, "w") as f:
            text = (RSPAMD_FULL if self.full else RSPAMD_SMALL) + RSPAMD_WORKER
            f.write(text.format(tmp=self.tmp, port=self.port, count=self.count, cache=HS_CACHE))
        with open(os.path.join(self.tmp, "tld.dat"), "w") as f:
            f.write("com\norg\nnet\ntest\nexample\n")
        with open(os.path.join(self.tmp, "local.d", "milter_headers.conf"), "w") as f:
            f.write(MILTER_HEADERS)
        user = [] if os.getuid() else ["-u", "root", "-g", "root", "--insecure"]
        env = ["--var=LOCAL_CONFDIR=" + self.tmp, "--var=DBDIR=" + os.path.join(self.tmp, "db"),
               "--var=RUNDIR=" + self.tmp, "--var=LOGDIR=" + self.tmp]
        args = [self.binary, "-f", "-c", conf] + user + env
        self.proc = subprocess.Popen(args, stdout=open(os.path.join(self.tmp, "stdout.log"), "wb"),
                                     stderr=subprocess.STDOUT, cwd=self.tmp)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("rspamd exited with %s:\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        tail = self.log_tail()
        self.proc.terminate()   # never left behind by a failed start (TERM: the main process stops its workers)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        raise AssertionError("rspamd did not listen on %s within %.0fs:\n%s" % (self.address, timeout, tail))

    def log_tail(self, n=40):
        out = []
        for name in ("stdout.log", "rspamd.log"):
            try:
                with open(os.path.join(self.tmp, name), "rb") as f:
                    out += f.read().decode("utf-8", "replace").splitlines()[-n:]
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.tmp, True)


if __name__ == "__main__":
    # `milter_peer.py rspamd PORT COUNT`: an rspamd for tools/bench/milter-bench.sh,
    # in the foreground until SIGTERM (then stopped and its temp dir removed).
    import signal
    import sys
    if len(sys.argv) != 4 or sys.argv[1] != "rspamd":
        sys.exit("usage: milter_peer.py rspamd PORT COUNT")
    r = Rspamd(port=int(sys.argv[2]), count=int(sys.argv[3]), full=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        r.start(timeout=600)
        print("rspamd: milter on %s (proxy workers: %s)" % (r.address, sys.argv[3]), flush=True)
        while r.proc.poll() is None:
            time.sleep(0.5)
        sys.exit("rspamd exited with %s:\n%s" % (r.proc.returncode, r.log_tail()))
    finally:
        r.stop()
