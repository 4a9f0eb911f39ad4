"""Integration test harness for ringpost.

Starts the real `ringpost serve` binary (path in $RINGPOST_BIN) on free
loopback ports with a temporary data directory and config file, runs CLI
subcommands against the same config, and speaks SMTP to it with raw sockets
or smtplib.  Only the Python standard library is used.

Environment:
  RINGPOST_BIN       path to the ringpost binary (default: <repo>/build/ringpost)
  RINGPOST_IT_KEEP   if set, temporary directories are kept (and printed)
"""

import atexit
import hashlib
import os
import re
import signal
import smtplib
import socket
import struct
import subprocess
import tempfile
import shutil
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

READY_TIMEOUT = 30.0      # seconds for `serve` to accept connections (ASan start on a loaded 2-core machine)
CLI_TIMEOUT = 60.0        # seconds for one CLI subcommand
LOG_TAIL_LINES = 30

HOSTNAME = "mx.ringpost.test"
DEFAULT_DELIVERY = {
    "dns_servers": ["127.0.0.1:9"],
    "retry_schedule": ["1h"],
}
QID_RE = re.compile(r"[0-9A-F]{16}")
# A PROXY protocol v2 header with the LOCAL command (a load balancer's own
# health check): what the readiness probe sends first to an SMTP listener
# with proxy_protocol (whose proxy_networks must then hold 127.0.0.1).
PROXY_V2_LOCAL = b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"
QUEUED_RE = re.compile(r"^2\.0\.0 Ok: queued as ([0-9A-F]{16})$")


def ringpost_bin():
    path = os.environ.get("RINGPOST_BIN") or os.path.join(REPO, "build", "ringpost")
    return os.path.abspath(path)


def sanitized_binary():
    """Whether the binary under test is the AddressSanitizer build: its heap
    keeps freed blocks in a quarantine and adds shadow memory, so RSS
    bounds meant for the plain build must allow for that."""
    try:
        out = subprocess.run(["ldd", ringpost_bin()], capture_output=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"libasan" in out


def missing_dependency(tc, reason):
    """A test cannot run because something the machine lacks (a client
    program, root for a tmpfs, an extra loopback address): skipped on a
    developer's machine, a failure under CI=true, where tools/install-deps.sh
    has installed everything and a skip would hide a test that never ran.
    (tc None: from a setUpClass.)"""
    if os.environ.get("CI", "").lower() == "true":
        raise (tc.failureException if tc else AssertionError)("missing test dependency under CI=true: " + reason)
    raise unittest.SkipTest(reason)


def loopback_alias_ok(addr):
    """Whether a client socket can take `addr` as its source address
    (Linux answers for all of 127.0.0.0/8)."""
    s = socket.socket()
    try:
        s.bind((addr, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def ipv6_available():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.bind(("::1", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


# run.py -j N runs test modules in N processes at once and gives each a slot
# number: a process then takes its servers' ports from a block of its own,
# below the kernel's ephemeral range (32768-60999), so two processes never
# pick the same port between choosing it and the server binding it, and no
# client socket's ephemeral port lands on it either.
_SLOT = os.environ.get("RINGPOST_IT_SLOT")
_SLOT_BLOCK = 1500
_SLOT_BASE = 10000
_slot_next = [0]


def _candidate_port():
    if _SLOT is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
        finally:
            s.close()
    port = _SLOT_BASE + int(_SLOT) * _SLOT_BLOCK + _slot_next[0] % _SLOT_BLOCK
    _slot_next[0] += 1
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return port
    except OSError:
        return None
    finally:
        s.close()


def free_port(v6_too=False):
    """A TCP port free on 127.0.0.1 (and on ::1 if v6_too): port 0's pick, or
    the next free one of this process's block under run.py -j."""
    for _ in range(200):
        port = _candidate_port()
        if port is None:
            continue
        if not v6_too:
            return port
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            s6.bind(("::1", port))
            return port
        except OSError:
            continue
        finally:
            s6.close()
    raise RuntimeError("no free port found")


# --------------------------------------------------------------------------
# TOML writing (just what the config needs)

def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError("cannot write %r as TOML" % (v,))


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(k):
    return k if _BARE_KEY.match(k) else _toml_value(k)


def toml_dumps(cfg):
    """cfg: dict of top-level keys; dict values become [sections], nested
    dicts [section.sub] tables (e.g. [delivery.routes]); keys that are not
    bare (e.g. "partner.test") are quoted."""
    out = []

    def table(path, d):
        if path:
            out.append("")
            out.append("[%s]" % ".".join(_toml_key(p) for p in path))
        for k, v in d.items():
            if not isinstance(v, dict):
                out.append("%s = %s" % (_toml_key(k), _toml_value(v)))
        for k, v in d.items():
            if isinstance(v, dict):
                table(path + [k], v)

    table([], cfg)
    return "\n".join(out) + "\n"


def merge(base, over):
    res = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(res.get(k), dict):
            res[k] = merge(res[k], v)
        elif v is None:
            res.pop(k, None)
        else:
            res[k] = v
    return res


# --------------------------------------------------------------------------
# logfmt

_LOGFMT_TOKEN = re.compile(r'\s*([^\s=]+)=("(?:[^"\\]|\\.)*"|[^\s]*)')


def parse_logfmt(line):
    """Parse one logfmt line into a dict; returns None if it is not logfmt."""
    line = line.rstrip("\n")
    fields = {}
    pos = 0
    while pos < len(line):
        if line[pos:].strip() == "":
            break
        m = _LOGFMT_TOKEN.match(line, pos)
        if not m:
            return None
        key, val = m.group(1), m.group(2)
        if val.startswith('"'):
            val = re.sub(r"\\x([0-9a-fA-F]{2})", lambda mm: chr(int(mm.group(1), 16)), val[1:-1])
            val = re.sub(r"\\(.)", r"\1", val)
        fields[key] = val
        pos = m.end()
    return fields


# --------------------------------------------------------------------------

_LIVE = set()


def _die_with_parent():
    """preexec_fn: the server gets SIGKILL if the test runner dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


def _kill_all_live():
    for srv in list(_LIVE):
        try:
            srv.kill()
        except Exception:
            pass


atexit.register(_kill_all_live)


class ServerError(AssertionError):
    pass


class CliResult:
    def __init__(self, args, returncode, stdout, stderr):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout      # bytes
        self.stderr = stderr      # bytes

    @property
    def out(self):
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self):
        return self.stderr.decode("utf-8", "replace")

    def describe(self):
        def cut(b):
            t = b.decode("utf-8", "replace")
            return t if len(t) < 3000 else t[:1500] + "\n...[%d chars]...\n" % len(t) + t[-1500:]
        return "$ %s\n-> exit %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.args), self.returncode, cut(self.stdout), cut(self.stderr))


class Server:
    """One ringpost instance with its own temp dir, config and ports."""

    def __init__(self, config=None, ipv6=False, name="ringpost", rlimit_nofile=None):
        self.tmp = tempfile.mkdtemp(prefix="ringpost-it-")
        self.name = name
        self.rlimit_nofile = rlimit_nofile   # (soft, hard) for the server process, or None
        self.data_dir = os.path.join(self.tmp, "data")
        self.port = free_port(v6_too=ipv6)
        self.pop3_port = free_port()
        self.imap_port = free_port()
        # TLS listeners (issue 5): submission, and implicit TLS for SMTP,
        # POP3 and IMAP; the certificate is generated self-signed into data_dir.
        self.submission_port = free_port()
        self.smtps_port = free_port()
        self.pop3s_port = free_port()
        self.imaps_port = free_port()
        # The HTTP API (issue 14): on a port of its own, like every service.
        self.http_port = free_port()
        self.ipv6 = ipv6
        listen = ["127.0.0.1:%d" % self.port]
        if ipv6:
            listen.append("[::1]:%d" % self.port)
        base = {
            "hostname": HOSTNAME,
            "data_dir": self.data_dir,
            "threads": 2,
            "smtp": {"listen": listen},
            "pop3": {"listen": ["127.0.0.1:%d" % self.pop3_port]},
            "imap": {"listen": ["127.0.0.1:%d" % self.imap_port]},
            "submission": {"listen": ["127.0.0.1:%d" % self.submission_port]},
            "smtps": {"listen": ["127.0.0.1:%d" % self.smtps_port]},
            "pop3s": {"listen": ["127.0.0.1:%d" % self.pop3s_port]},
            "imaps": {"listen": ["127.0.0.1:%d" % self.imaps_port]},
            "http": {"listen": ["127.0.0.1:%d" % self.http_port]},
            "relay": {
                "local_domains": ["localhost", "local.test"],
                "relay_networks": ["127.0.0.0/8", "::1/128"],
            },
            "log": {"level": "info"},
            # Never any DNS or SMTP traffic off the machine: nothing listens on
            # 127.0.0.1:9, so lookups fail as temporary and remote mail stays
            # queued (deferred) for an hour. Delivery tests override this.
            "delivery": dict(DEFAULT_DELIVERY),
        }
        self.config = merge(base, config or {})
        self.admin_socket = self.config.get("admin_socket") or os.path.join(self.data_dir, "admin.sock")
        self.config_path = os.path.join(self.tmp, "ringpost.toml")
        self.log_path = os.path.join(self.tmp, "serve.stderr.log")
        self.out_path = os.path.join(self.tmp, "serve.stdout.log")
        self.write_config()
        self.proc = None
        self.expect_running = False   # False once we stop / kill / signal it
        self.starts = 0
        self._saved_tail = ""
        self._cleaned = False

    # --- config ---
    def write_config(self):
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(toml_dumps(self.config))

    # --- lifecycle ---
    def start(self, wait=True):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        binary = ringpost_bin()
        if not os.path.exists(binary):
            raise ServerError("ringpost binary not found: %s (set RINGPOST_BIN)" % binary)
        self.starts += 1
        err = open(self.log_path, "ab")
        out = open(self.out_path, "ab")
        if self.starts > 1:
            marker = ("# --- restart %d ---\n" % self.starts).encode()
            err.write(marker)
            err.flush()
        self.start_offset = err.tell()
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", self.config_path],
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.tmp, preexec_fn=self._preexec,
            env=self._environment())
        err.close()
        out.close()
        _LIVE.add(self)
        self.expect_running = True
        if wait:
            self.wait_ready()
        return self

    def _environment(self):
        """The server's environment. Out of descriptors (rlimit_nofile), the
        sanitizer runtime cannot inspect memory (its accessibility probe and
        symbolizer need a pipe) and UBSan's vptr check misfires on valid
        objects: such a server reports UBSan findings without halting, and
        its test checks the reports it gets (ASan still aborts on any error)."""
        if self.rlimit_nofile is None or not sanitized_binary():
            return None
        env = dict(os.environ)
        env["UBSAN_OPTIONS"] = env.get("UBSAN_OPTIONS", "") + ":halt_on_error=0"
        return env

    def ubsan_findings(self):
        """The "runtime error:" lines UBSan wrote to the server's log."""
        return [line for line in self.log_lines() if "runtime error:" in line]

    def _preexec(self):
        _die_with_parent()
        if self.rlimit_nofile is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_NOFILE, self.rlimit_nofile)

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        last_err = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerError("ringpost serve exited with %d during startup\n%s" % (rc, self.diagnostics()))
            if os.path.exists(self.admin_socket):
                # (After a kill -9 a stale admin.sock exists already; the server
                # replaces it before it listens on SMTP, so the port is the signal.)
                try:
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=1.0)
                    if self.config["smtp"].get("proxy_protocol"):
                        s.sendall(PROXY_V2_LOCAL)
                except OSError as e:
                    last_err = e
                else:
                    self._polite_close(s)
                    return
            time.sleep(0.05)
        raise ServerError("ringpost serve not ready after %.0fs (port %d accepting? last error %r; admin socket %s exists: %s)\n%s"
                          % (timeout, self.port, last_err, self.admin_socket,
                             os.path.exists(self.admin_socket), self.diagnostics()))

    @staticmethod
    def _polite_close(s):
        """Read the greeting, QUIT, wait for close: the server is done with the probe afterwards."""
        try:
            s.settimeout(2.0)
            buf = b""
            while b"\r\n" not in buf:
                d = s.recv(4096)
                if not d:
                    return
                buf += d
            s.sendall(b"QUIT\r\n")
            while True:
                d = s.recv(4096)
                if not d:
                    break
        except OSError:
            pass
        finally:
            s.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout=None):
        """SIGTERM and wait; returns (exit code, seconds taken). Kills -9 on timeout."""
        if timeout is None:
            timeout = self.shutdown_grace() + 10
        t0 = time.monotonic()
        self.expect_running = False
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            _LIVE.discard(self)
            raise ServerError("ringpost serve did not exit within %.0fs of SIGTERM (killed)\n%s"
                              % (timeout, self.diagnostics()))
        _LIVE.discard(self)
        return rc, time.monotonic() - t0

    def stop(self):
        """Graceful stop; asserts exit code 0."""
        if not self.running():
            rc = self.proc.returncode if self.proc else None
            if rc not in (None, 0):
                raise ServerError("ringpost serve had already exited with %s\n%s" % (rc, self.diagnostics()))
            return
        rc, _ = self.terminate()
        if rc != 0:
            raise ServerError("ringpost serve exited with %d after SIGTERM (expected 0)\n%s" % (rc, self.diagnostics()))

    def send_signal(self, sig):
        self.expect_running = False
        self.proc.send_signal(sig)

    def died_unexpectedly(self):
        """None, or a description of how the server died although nobody stopped it."""
        if not self.expect_running or self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            return None
        how = "exit code %d" % rc
        if rc < 0:
            try:
                how = "killed by %s" % signal.Signals(-rc).name
            except ValueError:
                how = "killed by signal %d" % -rc
        return "ringpost serve (%s) died unexpectedly: %s" % (self.name, how)

    def kill(self):
        """kill -9 (crash simulation)."""
        self.expect_running = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        _LIVE.discard(self)

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        self.kill()
        self._saved_tail = self.log_tail()
        if os.environ.get("RINGPOST_IT_KEEP"):
            print("\n[harness] kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def shutdown_grace(self):
        return int(self.config.get("smtp", {}).get("shutdown_grace", 10))

    # --- logs ---
    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_lines(self):
        return self.log_text().splitlines()

    def log_events(self, event=None):
        """Parsed logfmt lines (dicts), optionally of one event."""
        res = []
        for line in self.log_lines():
            if not line.startswith("ts="):
                continue
            d = parse_logfmt(line)
            if d is None:
                continue
            if event is None or d.get("event") == event:
                res.append(d)
        return res

    def wait_log(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            for d in self.log_events():
                if predicate(d):
                    return d
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def log_tail(self, n=LOG_TAIL_LINES):
        if self._cleaned:
            return self._saved_tail
        lines = self.log_lines()
        tail = "\n".join(lines[-n:])
        try:
            with open(self.out_path, "rb") as f:
                out = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            out = []
        if out:
            tail += "\n  [stdout tail]\n" + "\n".join(out[-10:])
        return tail

    def sanitizer_report(self, limit=80):
        """The first lines of an ASan/UBSan/LSan report in the server's log
        (the log tail may hold only the end of its stacks)."""
        lines = self.log_lines()
        for i, line in enumerate(lines):
            if "runtime error:" in line or "ERROR: AddressSanitizer" in line or "ERROR: LeakSanitizer" in line:
                return "\n".join(lines[i:i + limit])
        return ""

    def diagnostics(self):
        state = "running" if self.running() else "exit=%s" % (self.proc.returncode if self.proc else "not started")
        report = self.sanitizer_report()
        return ("----- %s (port %d, %s, dir %s) config:\n%s----- last %d log lines:\n%s\n-----%s"
                % (self.name, self.port, state, self.tmp, toml_dumps(self.config), LOG_TAIL_LINES, self.log_tail(),
                   "\n----- sanitizer report:\n%s\n-----" % report if report else ""))

    # --- CLI ---
    def cli(self, *args, input=b"", timeout=CLI_TIMEOUT, check=None):
        """Run `ringpost <args...> --config FILE`; returns CliResult.
        check: expected exit code (asserted) or None."""
        argv = [ringpost_bin()] + [str(a) for a in args] + ["--config", self.config_path]
        if isinstance(input, str):
            input = input.encode("utf-8")
        try:
            p = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout, cwd=self.tmp)
        except subprocess.TimeoutExpired as e:
            raise ServerError("CLI timed out after %ss: %s\n%s" % (timeout, " ".join(argv), self.diagnostics()))
        res = CliResult(argv[1:], p.returncode, p.stdout, p.stderr)
        if check is not None and res.returncode != check:
            raise ServerError("CLI exit code %d, expected %d\n%s\n%s" % (res.returncode, check, res.describe(), self.diagnostics()))
        return res

    def admin(self, *args, input=b"", timeout=CLI_TIMEOUT, check=None):
        """An admin command for fixtures and inspection: over the admin socket
        (its wire format, src/admin/protocol.hpp) while the server runs, else
        `cli()` on the stopped store. Polling helpers call it many times a
        test, and a CLI process under ASan costs about half a CPU second to
        start and exit; the CLI itself is what the tests calling cli() test.
        Returns a CliResult like cli()."""
        if self.proc is None or self.proc.poll() is not None:
            return self.cli(*args, input=input, timeout=timeout, check=check)
        if isinstance(input, str):
            input = input.encode("utf-8")
        words = [str(a).encode("utf-8") for a in args]
        request = b"RPADMIN1" + struct.pack(">I", len(words))
        for w in words:
            request += struct.pack(">I", len(w)) + w
        request += struct.pack(">I", len(input)) + input
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            try:
                sock.connect(self.admin_socket)
            except (FileNotFoundError, ConnectionRefusedError):
                return self.cli(*args, input=input, timeout=timeout, check=check)   # not listening yet
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            while True:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    break
                reply += chunk
        finally:
            sock.close()
        out, err, code, i = b"", b"", None, 0
        while i + 5 <= len(reply) and code is None:
            kind, n = reply[i:i + 1], struct.unpack(">I", reply[i + 1:i + 5])[0]
            body, i = reply[i + 5:i + 5 + n], i + 5 + n
            if kind == b"O":
                out += body
            elif kind == b"E":
                err += body
            elif kind == b"X" and n == 4:
                code = struct.unpack(">I", body)[0]
        if code is None or i != len(reply):
            raise ServerError("admin socket: malformed reply to %r: %r\n%s" % (args, reply[:500], self.diagnostics()))
        res = CliResult(["(admin socket)"] + [str(a) for a in args], code, out, err)
        if check is not None and code != check:
            raise ServerError("admin command exit code %d, expected %d\n%s\n%s" % (code, check, res.describe(), self.diagnostics()))
        return res
    def counter(self, family, result):
        """The value of `family{result="RESULT"}` in `ringpost metrics` (0 when absent)."""
        text = self.admin("metrics", check=0).stdout.decode("utf-8", "replace")
        m = re.search(r'^%s\{result="%s"\} (\d+)' % (re.escape(family), re.escape(result)), text, re.M)
        return int(m.group(1)) if m else 0

    def add_user(self, address, password="test-password-1"):
        return self.admin("user", "add", address, input=password + "\n", check=0)

    def mailbox_list(self, address):
        """[(id, line)] from `mailbox list ADDRESS`."""
        r = self.admin("mailbox", "list", address, check=0)
        res = []
        for line in r.out.splitlines():
            if line.strip():
                res.append((line.split()[0], line))
        return res

    def mailbox_show(self, address, msg_id):
        return self.admin("mailbox", "show", address, msg_id, check=0).stdout

    def queue_list(self):
        r = self.admin("queue", "list", check=0)
        res = []
        for line in r.out.splitlines():
            # One line per message, ID first; other lines (a summary) are not messages.
            if line.strip() and QID_RE.fullmatch(line.split()[0]):
                res.append((line.split()[0], line))
        return res

    def queue_show(self, qid):
        """(envelope text, stored bytes) of `queue show QID`."""
        out = self.admin("queue", "show", qid, check=0).stdout
        i = out.find(b"\n\n")
        if i < 0:
            raise ServerError("queue show %s: no blank line between envelope and message:\n%r" % (qid, out[:2000]))
        return out[:i].decode("utf-8", "replace"), out[i + 2:]

    def queue_entries(self):
        """`queue list` parsed: [dict(qid, size, received, sender, rcpts, next, attempts, last_error, class, line)]."""
        return [parse_queue_line(line) for _, line in self.queue_list()]

    def queue_footer(self):
        """The `-- N messages, ...` summary line of `queue list` ('' if there is none)."""
        for line in self.admin("queue", "list", check=0).out.splitlines():
            if line.startswith("--"):
                return line
        return ""

    def wait_queue(self, predicate, timeout=10.0, interval=0.1):
        """Poll `queue list` until predicate(entries) is true; returns (ok, entries)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.queue_entries()
            if predicate(entries):
                return True, entries
            if time.monotonic() > deadline:
                return False, entries
            time.sleep(interval)

    def wait_queue_empty(self, timeout=20.0):
        """Poll `queue list` until it shows no message; returns the entries left ([] = empty)."""
        _, entries = self.wait_queue(lambda e: not e, timeout)
        return entries

    def wait_attempted(self, qid, timeout=5.0):
        """Wait until the first delivery attempt of `qid` is on record (its queue
        line shows attempts>=1), so that the queue output is stable. Returns at
        once for a queue line without attempts= (a server without the engine)
        or when qid left the queue. Returns its entry or None."""
        def settled(entries):
            for e in entries:
                if e["qid"] == qid:
                    return e["attempts"] is None or e["attempts"] >= 1
            return True
        _, entries = self.wait_queue(settled, timeout)
        return next((e for e in entries if e["qid"] == qid), None)

    def wait_mailbox(self, address, n, timeout=10.0):
        """Poll `mailbox list ADDRESS` until it has at least n messages (local
        delivery is asynchronous); returns the entries (fewer on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.mailbox_list(address)
            if len(entries) >= n or time.monotonic() > deadline:
                return entries
            time.sleep(0.1)

    def queue_flush(self):
        """`queue flush`; returns N from 'flushed N messages'."""
        r = self.admin("queue", "flush", check=0)
        m = re.search(r"\bflushed (\d+) messages?\b", r.out)
        if not m:
            raise ServerError("queue flush: output is not 'flushed N messages'\n%s\n%s" % (r.describe(), self.diagnostics()))
        return int(m.group(1))

    def queue_bounce(self, qid, check=0):
        """`queue bounce QID`; returns (CliResult, N from 'bounced QID: N recipients' or None)."""
        r = self.admin("queue", "bounce", qid, check=check)
        m = re.search(r"\bbounced ([0-9A-Fa-f]{16}): (\d+) recipients?\b", r.out)
        return r, (int(m.group(2)) if m else None)

    def delivery_events(self, qid=None, rcpt=None):
        """Parsed `event=delivery` log lines, optionally of one message / recipient."""
        return [d for d in self.log_events("delivery")
                if (qid is None or d.get("qid") == qid) and (rcpt is None or d.get("rcpt") == rcpt)]

    # --- SMTP ---
    def smtp(self, host="127.0.0.1", timeout=15, ehlo=True):
        c = smtplib.SMTP(host, self.port, local_hostname="client.test", timeout=timeout)
        if ehlo:
            code, _ = c.ehlo()
            assert code == 250, "EHLO failed: %d" % code
        return c

    def raw(self, host="127.0.0.1", timeout=15, greet=True, source=None):
        c = RawSMTP(host, self.port, timeout=timeout, source=source)
        if greet:
            r = c.read_reply()
            assert r.code == 220, "greeting: %s\n%s" % (r, c.transcript())
        return c

    def send(self, sender, rcpts, message, host="127.0.0.1", mail_options=(), rcpt_options=()):
        """One transaction with smtplib; returns the queue ID from the 250 reply."""
        c = self.smtp(host=host)
        try:
            return send_on(c, sender, rcpts, message, mail_options, rcpt_options)
        finally:
            try:
                c.quit()
            except Exception:
                c.close()


_QUEUE_LINE_RE = re.compile(r"^(?P<qid>[0-9A-F]{16})\s+(?P<size>\d+)\s+(?P<received>\S+)\s+(?P<rest>.*)$")


def parse_queue_line(line):
    """One `queue list` line: `QID SIZE RECEIVED <sender> <rcpt>... [next=T attempts=N [last_error="..." class=C]
    [held="..."]]` (next=held for a held message).
    Fields a server does not print are None."""
    m = _QUEUE_LINE_RE.match(line.strip())
    if not m:
        raise AssertionError("queue list line not understood: %r" % line)
    rest = m.group("rest")
    addrs = []
    while rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            break
        addrs.append(rest[1:end])
        rest = rest[end + 1:].lstrip()
    kv = parse_logfmt(rest) if rest else {}
    attempts = kv.get("attempts") if kv else None
    return {
        "qid": m.group("qid"), "size": int(m.group("size")), "received": m.group("received"),
        "sender": addrs[0] if addrs else None, "rcpts": addrs[1:],
        "next": kv.get("next") if kv else None,
        "attempts": int(attempts) if attempts and attempts.isdigit() else None,
        "last_error": kv.get("last_error") if kv else None,
        "class": kv.get("class") if kv else None,
        "held": kv.get("held") if kv else None,   # the hold's reason and who: "looks odd (milter x)"
        "line": line,
    }


def send_on(c, sender, rcpts, message, mail_options=(), rcpt_options=()):
    """A transaction on an open smtplib connection; returns the QID, raises AssertionError otherwise."""
    code, resp = c.mail(sender, list(mail_options))
    if code != 250:
        raise AssertionError("MAIL FROM:<%s> -> %d %s" % (sender, code, resp.decode("utf-8", "replace")))
    if isinstance(rcpts, str):
        rcpts = [rcpts]
    for r in rcpts:
        code, resp = c.rcpt(r, list(rcpt_options))
        if code != 250:
            raise AssertionError("RCPT TO:<%s> -> %d %s" % (r, code, resp.decode("utf-8", "replace")))
    code, resp = c.data(message)
    text = resp.decode("utf-8", "replace")
    if code != 250:
        raise AssertionError("end of DATA -> %d %s" % (code, text))
    return parse_qid(text)


def parse_qid(text):
    m = QUEUED_RE.match(text.strip())
    if not m:
        raise AssertionError("250 reply after DATA is not '2.0.0 Ok: queued as <16 upper-case hex>': %r" % text)
    return m.group(1)


# --------------------------------------------------------------------------
# Raw SMTP client

class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines          # texts after "NNN-" / "NNN "

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def first(self):
        return self.lines[0] if self.lines else ""

    def __repr__(self):
        return "<%d %s>" % (self.code, " | ".join(self.lines))

    __str__ = __repr__


class RawSMTP:
    """SMTP over a plain socket, with a transcript for error messages."""

    def __init__(self, host, port, timeout=15, source=None):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.timeout = timeout
        self.buf = b""
        self.log = []           # ("C"|"S", bytes)
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.log.append(("C", data))
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(remaining)
        d = self.sock.recv(65536)
        if not d:
            self.eof = True
            raise EOFError("connection closed by server")
        self.log.append(("S", d))
        self.buf += d

    def read_line(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_reply(self, timeout=None):
        """Read one (possibly multi-line) reply. Raises EOFError / socket.timeout."""
        timeout = timeout if timeout is not None else self.timeout
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            line = self.read_line(max(0.001, deadline - time.monotonic()))
            t = line.decode("utf-8", "replace")
            if len(t) < 3 or not t[:3].isdigit() or (len(t) > 3 and t[3] not in " -"):
                raise AssertionError("malformed reply line %r\n%s" % (t, self.transcript()))
            code = int(t[:3])
            lines.append(t[4:])
            if len(t) == 3 or t[3] == " ":
                return Reply(code, lines)

    def read_replies(self, n, timeout=None):
        return [self.read_reply(timeout) for _ in range(n)]

    def cmd(self, line, timeout=None):
        self.send(line + "\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.read_reply(timeout)

    def wait_closed(self, timeout):
        """Read (and keep) everything until EOF. True if the server closed within timeout."""
        deadline = time.monotonic() + timeout
        if self.eof:
            return True
        try:
            while True:
                self._fill(deadline)
        except EOFError:
            return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            self.eof = True
            return True

    def transcript(self, limit=4000):
        out = []
        for who, data in self.log:
            t = data.decode("utf-8", "replace")
            if len(t) > 600:
                t = t[:300] + "...[%d bytes]..." % len(data) + t[-200:]
            lines = t.split("\n")
            if len(lines) > 1 and lines[-1] == "":
                lines.pop()
            for ln in lines:
                out.append("%s: %s" % (who, ln.rstrip("\r")))
        s = "\n".join(out)
        if len(s) > limit:
            s = "...\n" + s[-limit:]
        return "----- transcript:\n" + s

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Stored message checks

def split_mailbox_message(data, sender, rcpt):
    """Split a stored mailbox message into (prefix, received, rest).
    Checks the Return-Path / Delivered-To / Received layout; raises AssertionError."""
    rp = b"Return-Path: <" + sender.encode("utf-8") + b">\r\n"
    if not data.startswith(rp):
        raise AssertionError("stored message does not start with %r:\n%r" % (rp, data[:300]))
    pos = len(rp)
    r = rcpt.encode("utf-8")
    for dt in (b"Delivered-To: " + r + b"\r\n", b"Delivered-To: <" + r + b">\r\n"):
        if data.startswith(dt, pos):
            pos += len(dt)
            break
    else:
        raise AssertionError("stored message: line 2 is not 'Delivered-To: %s':\n%r" % (rcpt, data[:300]))
    received, rest = split_received(data[pos:])
    return data[:pos], received, rest


def _field_end(data, pos, what):
    """The end of the (possibly folded) header field that starts at data[pos]."""
    while True:
        e = data.find(b"\r\n", pos)
        if e < 0:
            raise AssertionError("unterminated %s header: %r" % (what, data[:500]))
        pos = e + 2
        if pos >= len(data) or data[pos:pos + 1] not in (b" ", b"\t"):
            return pos


OWN_AUTH_RESULTS = b"Authentication-Results: " + HOSTNAME.encode() + b";"


def split_received(data):
    """data starts with a Received: header (possibly folded): returns (header bytes, rest).
    The Authentication-Results field ringpost adds below its Received: to mail
    from untrusted clients (docs/INBOUND.md; tests/integration/test_spf.py
    checks it) is not part of `rest`, which is the message as it was sent."""
    if not data.startswith(b"Received: "):
        raise AssertionError("expected a 'Received: ' header here:\n%r" % data[:300])
    pos = _field_end(data, 0, "Received")
    rest = pos
    if data.startswith(OWN_AUTH_RESULTS, rest):
        rest = _field_end(data, rest, "Authentication-Results")
    return data[:pos], data[rest:]


def received_text(received):
    return re.sub(rb"\r\n[ \t]+", b" ", received).decode("utf-8", "replace")


def check_received(tc, received, qid, protocol=None):
    text = received_text(received)
    tc.assertRegex(text, r"\bid <?%s>?(\s|;|$)" % qid, "Received header lacks 'id %s': %r" % (qid, text))
    tc.assertIn(";", text, "Received header lacks the '; date' part: %r" % text)
    if protocol:
        tc.assertRegex(text, r"\bwith %s\b" % protocol, "Received header lacks 'with %s': %r" % (protocol, text))
    return text


def sha256(b):
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------
# Test case base class

class ServerTestCase(unittest.TestCase):
    """Tracks servers for diagnostics (run.py prints their log tails on failure)."""

    maxDiff = 4000

    def setUp(self):
        self._own_servers = []
        for srv in type(self).__dict__.get("_class_servers", []):
            dead = srv.died_unexpectedly()
            if dead:
                self.skipTest("%s in an earlier test of this class" % dead)

    def tearDown(self):
        for srv in getattr(self, "_own_servers", []) + list(type(self).__dict__.get("_class_servers", [])):
            dead = srv.died_unexpectedly()
            if dead and not getattr(srv, "_death_reported", False):
                srv._death_reported = True   # report it once, in the test that killed it
                self.fail("%s during this test\n%s" % (dead, srv.diagnostics()))

    @classmethod
    def start_class_server(cls, config=None, **kw):
        if "_class_servers" not in cls.__dict__:
            cls._class_servers = []
        srv = Server(config, name=kw.pop("name", cls.__name__), **kw)
        cls._class_servers.append(srv)
        cls.addClassCleanup(srv.cleanup)
        srv.start()
        return srv

    @classmethod
    def stop_class_servers(cls):
        for srv in cls.__dict__.get("_class_servers", []):
            if srv.running():
                srv.stop()

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_servers()

    def start_server(self, config=None, start=True, **kw):
        srv = Server(config, name=kw.pop("name", self.id().split(".")[-1]), **kw)
        self._own_servers.append(srv)
        self.addCleanup(srv.cleanup)
        if start:
            srv.start()
        return srv

    def server_diagnostics(self):
        parts = []
        for srv in getattr(self, "_own_servers", []) + list(type(self).__dict__.get("_class_servers", [])):
            parts.append(srv.diagnostics())
        return "\n".join(parts)

    # helpers
    def assertReply(self, reply, code, enhanced=None, client=None, msg=""):
        ctx = ("\n" + client.transcript()) if client is not None else ""
        self.assertEqual(reply.code, code, "expected %d%s, got %s %s%s" % (code, " " + str(enhanced) if enhanced else "", reply, msg, ctx))
        if enhanced:
            # One enhanced code, or a tuple of acceptable ones (e.g. ("5.5.4", "5.1.7")).
            codes = (enhanced,) if isinstance(enhanced, str) else tuple(enhanced)
            self.assertTrue(any(reply.lines and reply.lines[-1].startswith(e + " ") or
                                all(l.startswith(e) for l in reply.lines) for e in codes),
                            "expected enhanced code %s in %s %s%s" % (" or ".join(codes), reply, msg, ctx))

    def patient_client(self, srv, source):
        """An SMTP client from `source` that waits for the whole greeting
        (screening's tests, docs/INBOUND.md "Screening"), then EHLO and QUIT
        work. Returns (seconds the greeting took, the greeting)."""
        start = time.monotonic()
        c = RawSMTP("127.0.0.1", srv.port, timeout=10, source=source)
        self.addCleanup(c.close)
        r = c.read_reply()
        took = time.monotonic() - start
        self.assertReply(r, 220, client=c)
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        return took, r

    def assertClosed(self, client, timeout, msg=""):
        self.assertTrue(client.wait_closed(timeout),
                        "connection not closed by server within %.1fs %s\n%s" % (timeout, msg, client.transcript()))


def make_message(subject, body_lines=("Hello.",), sender="sender@example.org", to="alice@localhost",
                 extra_headers=(), msgid=None):
    """A simple RFC 5322 message as bytes with CRLF line ends."""
    if msgid is None:
        msgid = "<%s@client.test>" % hashlib.sha1((subject + str(time.time())).encode()).hexdigest()[:20]
    hdr = [
        "From: <%s>" % sender,
        "To: <%s>" % to,
        "Subject: %s" % subject,
        "Message-ID: %s" % msgid,
        "Date: Mon, 24 Nov 2025 10:00:00 +0000",
    ] + list(extra_headers)
    lines = hdr + [""] + list(body_lines)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def find_mailbox_entry(srv, user, qid=None, marker=None, wait=5.0):
    """The mailbox ID (and list line) of the message with queue ID `qid` (its ID
    contains the QID) or whose listing line contains `marker` (e.g. its Subject).
    Local delivery may lag the 250 a little: polls up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        entries = srv.mailbox_list(user)
        hits = []
        for mid, line in entries:
            if qid and qid in mid:
                hits.append((mid, line))
            elif marker and marker in line:
                hits.append((mid, line))
        if hits or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if len(hits) != 1:
        raise AssertionError("mailbox list %s: expected exactly one entry for qid=%s marker=%s, found %d:\n%s\n%s"
                             % (user, qid, marker, len(hits), "\n".join(l for _, l in entries), srv.diagnostics()))
    return hits[0]


def verify_local(tc, srv, user, sender, qid, message, marker=None, protocol="ESMTP", wait=5.0):
    """Assert that `user`'s INBOX holds exactly one copy of the message with
    queue ID `qid`, stored as Return-Path/Delivered-To/Received + `message`
    byte for byte, and that the listed size matches. Returns the Received text."""
    mid, line = find_mailbox_entry(srv, user, qid=qid, marker=marker, wait=wait)
    data = srv.mailbox_show(user, mid)
    _, received, rest = split_mailbox_message(data, sender, user)
    text = check_received(tc, received, qid, protocol)
    if rest != message:
        tc.fail("mailbox show %s %s: the message after the Received header differs from what was sent\n"
                "sent   %d bytes sha256 %s: %r\nstored %d bytes sha256 %s: %r"
                % (user, mid, len(message), sha256(message), message[:400], len(rest), sha256(rest), rest[:400]))
    fields = line.split()
    tc.assertTrue(len(fields) >= 2 and fields[1].isdigit() and int(fields[1]) == len(data),
                  "mailbox list line %r: second field should be the size %d of the stored message" % (line, len(data)))
    return text


def verify_queued(tc, srv, qid, sender, rcpts, message, protocol="ESMTP"):
    """Assert `queue list` shows `qid` and `queue show` gives the envelope and
    Received + `message` byte for byte. Returns the envelope text."""
    ids = [i for i, _ in srv.queue_list()]
    tc.assertEqual(ids.count(qid), 1, "queue list should show %s exactly once: %r" % (qid, ids))
    env, stored = srv.queue_show(qid)
    tc.assertIn(qid, env, "queue show %s: envelope does not name the queue ID:\n%s" % (qid, env))
    tc.assertIn(sender, env, "queue show %s: envelope does not show the sender %s:\n%s" % (qid, sender, env))
    for r in rcpts:
        tc.assertIn(r, env, "queue show %s: envelope does not show the recipient %s:\n%s" % (qid, r, env))
    received, rest = split_received(stored)
    check_received(tc, received, qid, protocol)
    if rest != message:
        tc.fail("queue show %s: stored bytes after the Received header differ from what was sent\n"
                "sent   %d bytes: %r\nstored %d bytes: %r" % (qid, len(message), message[:400], len(rest), rest[:400]))
    return env
