"""A dnsmasq fixture for the delivery tests, and a tiny DNS client to check it.

dnsmasq (package dnsmasq-base) runs in the foreground on 127.0.0.1:<free port>
(UDP and TCP) with no upstream servers, no /etc/hosts and no resolv.conf; it
answers only from its command line, the same way tests/unit/dns/test_servers.cpp
runs it:

    d = DnsServer(mx=[("example.test", "mx1.example.test", 10)],
                  hosts={"mx1.example.test": ["127.0.0.2"]},
                  null_mx=["nullmx.test"]).start()
    config = {"delivery": {"dns_servers": [d.address]}}
    ...
    d.stop()

Names under the local zones (default: "test") that are not configured get
NXDOMAIN (dnsmasq --local=/test/); add more zones with `nxdomain=[...]`.
Names outside the local zones get REFUSED (no upstream), which a resolver
treats as a temporary failure. Nothing is ever sent off the machine.
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

START_TIMEOUT = 5.0

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 15: "MX", 16: "TXT", 28: "AAAA"}
TYPE_CODES = {v: k for k, v in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def find_dnsmasq():
    for p in ("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("dnsmasq")


def free_udp_tcp_port(host="127.0.0.1"):
    """A port free for both UDP and TCP on host."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind((host, 0))
            port = u.getsockname()[1]
            try:
                t.bind((host, port))
            except OSError:
                continue
            return port
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free UDP+TCP port on %s" % host)


# --------------------------------------------------------------------------
# A minimal DNS client (RFC 1035): one question, answers parsed for A/AAAA/MX.

class DnsReply:
    def __init__(self, rcode, answers, truncated):
        self.rcode = rcode                # int
        self.answers = answers            # [(type name, owner, value)]; MX value = (preference, exchange)
        self.truncated = truncated

    @property
    def rcode_name(self):
        return RCODES.get(self.rcode, str(self.rcode))

    def values(self, rtype):
        return [v for t, _, v in self.answers if t == rtype]

    def __repr__(self):
        return "<DNS %s %r>" % (self.rcode_name, self.answers)


def build_query(qid, name, qtype):
    if isinstance(qtype, str):
        qtype = TYPE_CODES[qtype]
    labels = [l for l in name.rstrip(".").split(".") if l]
    qname = b"".join(bytes([len(l)]) + l.encode("ascii") for l in labels) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", qtype, 1)


def _read_name(msg, pos):
    """(dotted name, position after the name) with compression pointers followed."""
    labels, end, jumps = [], None, 0
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("DNS name compression loop")
            continue
        pos += 1
        if n == 0:
            break
        labels.append(msg[pos:pos + n].decode("ascii", "replace"))
        pos += n
    return ".".join(labels), (end if end is not None else pos)


def parse_reply(msg, qid):
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    if rid != qid:
        raise ValueError("DNS reply id %d, expected %d" % (rid, qid))
    pos = 12
    for _ in range(qd):
        _, pos = _read_name(msg, pos)
        pos += 4
    answers = []
    for _ in range(an):
        owner, pos = _read_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        pos += 10
        rdata = msg[pos:pos + rdlen]
        if rtype == 1:
            val = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == 28:
            val = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rtype == 15:
            val = (struct.unpack(">H", rdata[:2])[0], _read_name(msg, pos + 2)[0])
        elif rtype in (2, 5):
            val = _read_name(msg, pos)[0]
        else:
            val = rdata
        answers.append((TYPES.get(rtype, str(rtype)), owner, val))
        pos += rdlen
    return DnsReply(flags & 0xF, answers, bool(flags & 0x0200))


def query(port, name, qtype, host="127.0.0.1", tcp=False, timeout=2.0):
    """Ask the server at host:port one question; returns DnsReply (raises socket.timeout)."""
    qid = int.from_bytes(os.urandom(2), "big")
    q = build_query(qid, name, qtype)
    if tcp:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(struct.pack(">H", len(q)) + q)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                d = s.recv(65536)
                if not d:
                    raise EOFError("DNS server closed the TCP connection")
                buf += d
            return parse_reply(buf[2:2 + struct.unpack(">H", buf[:2])[0]], qid)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, (host, port))
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            data, _ = s.recvfrom(65536)
            if len(data) >= 12 and struct.unpack(">H", data[:2])[0] == qid:
                return parse_reply(data, qid)


# --------------------------------------------------------------------------

class DnsError(AssertionError):
    pass


class DnsServer:
    """dnsmasq serving a fixed zone on 127.0.0.1:<free port>.

    mx:      [(domain, mx host, preference)]
    hosts:   {name: [IPv4/IPv6 addresses]} or [(name, [addresses])]   (A / AAAA)
    null_mx: [domain] -> "MX 0 ." (RFC 7505)
    nxdomain:[domain] -> extra local zones: everything under them not configured is NXDOMAIN
    zones:   local zones (default ["test"]): unconfigured names under them are NXDOMAIN
    txt:     {name: "value"} -> a TXT record, split into strings of at most 255 bytes
    """

    def __init__(self, mx=(), hosts=(), null_mx=(), nxdomain=(), zones=("test",), ttl=1, extra_args=(), txt=None):
        self.txt = dict(txt or {})
        self.mx = list(mx)
        self.hosts = list(hosts.items()) if isinstance(hosts, dict) else list(hosts)
        self.null_mx = list(null_mx)
        self.zones = list(zones) + list(nxdomain)
        self.ttl = ttl
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.tmp = None
        self._saved_log = ""

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def args(self):
        a = ["--local-ttl=%d" % self.ttl]
        for z in self.zones:
            a.append("--local=/%s/" % z.strip("."))
        for domain, host, pref in self.mx:
            a.append("--mx-host=%s,%s,%d" % (domain, host, pref))
        for domain in self.null_mx:
            a.append("--mx-host=%s,.,0" % domain)
        for name, addrs in self.hosts:
            if isinstance(addrs, str):
                addrs = [addrs]
            a.append("--host-record=%s,%s" % (name, ",".join(addrs)))
        for name, value in self.txt.items():
            # One string per 255 bytes (RFC 1035 3.3.14), which verifiers
            # join; on the command line dnsmasq takes them unquoted, split
            # at commas (so a value cannot hold one).
            assert "," not in value, "dnsmasq cannot serve a TXT value with a comma: %r" % value
            parts = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
            a.append("--txt-record=%s,%s" % (name, ",".join(parts)))
        return a + self.extra_args

    def start(self):
        binary = find_dnsmasq()
        if not binary:
            raise DnsError("dnsmasq not installed (apt-get install dnsmasq-base, or tools/install-deps.sh)")
        self.tmp = tempfile.mkdtemp(prefix="ringpost-it-dns-")
        self.pid_file = os.path.join(self.tmp, "dnsmasq.pid")
        self.log_path = os.path.join(self.tmp, "dnsmasq.log")
        self.out_path = os.path.join(self.tmp, "dnsmasq.out")
        why = ""
        for _ in range(3):
            self.port = free_udp_tcp_port()
            argv = [binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--no-poll", "--port=%d" % self.port, "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--pid-file=%s" % self.pid_file, "--log-queries", "--log-facility=%s" % self.log_path]
            if os.geteuid() == 0:
                argv.append("--user=root")    # keep access to the private temp dir (no drop to nobody)
            argv += self.args()
            self.argv = argv
            with open(self.out_path, "ab") as out:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                             preexec_fn=_die_with_parent)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    why = "dnsmasq exited with %d" % self.proc.returncode
                    break
                try:
                    r = query(self.port, "probe.ringpost-fixture.test", "A", timeout=0.2)
                    if r.rcode in (0, 3):
                        return self
                except (OSError, ValueError) as e:
                    why = "no answer to a probe query (%r)" % (e,)
            self._kill()
        text = self.log_tail()
        self.cleanup()
        raise DnsError("dnsmasq did not start: %s\n$ %s\n%s" % (why, " ".join(argv), text))

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        self._kill()
        self._saved_log = self.log_tail()

    def cleanup(self):
        self.stop()
        if self.tmp:
            if os.environ.get("RINGPOST_IT_KEEP"):
                print("\n[dns] kept %s" % self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def query(self, name, qtype, tcp=False, timeout=2.0):
        return query(self.port, name, qtype, tcp=tcp, timeout=timeout)

    def queries(self, name, qtype="A"):
        """How often `name` was asked for `qtype` so far (dnsmasq's
        --log-queries lines "query[A] NAME from ADDRESS")."""
        needle = "query[%s] %s from " % (qtype, name)
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except (OSError, AttributeError):
            return 0
        return sum(1 for line in text.splitlines() if needle in line)

    def log_tail(self, n=25):
        if self.tmp is None:
            return self._saved_log
        out = []
        for p in (self.out_path, self.log_path):
            try:
                with open(p, "rb") as f:
                    out += f.read().decode("utf-8", "replace").splitlines()[-n:]
            except OSError:
                pass
        return "\n".join(out[-n:])

    def diagnostics(self):
        state = "not started" if self.proc is None else (
            "running" if self.proc.poll() is None else "exit=%s" % self.proc.returncode)
        return "----- dnsmasq on %s (%s) args: %s\n----- dnsmasq log tail:\n%s\n-----" % (
            self.address if self.port else "?", state, " ".join(self.args()), self.log_tail())


def _die_with_parent():
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG
    except Exception:
        pass
