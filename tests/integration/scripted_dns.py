"""A tiny scripted DNS server (UDP, stdlib only) for answers dnsmasq will not give: a CNAME loop (dnsmasq
refuses to start with one), SERVFAIL for one name and type, NXDOMAIN and NODATA on demand.

    dns = ScriptedDns({
        ("loop.test", "MX"): ("cname", "loop2.test"),
        ("loop2.test", "*"): ("cname", "loop.test"),
        ("mx.ok.test", "A"): ("a", "127.0.0.2"),
        ("ok.test", "MX"): ("mx", [(10, "mx.ok.test")]),
        ("sf.test", "A"): ("rcode", 2),                     # SERVFAIL
    }).start()
    config = {"delivery": {"dns_servers": [dns.address]}}

Rules are looked up by (name, type) then (name, "*"); a CNAME rule answers with the whole chain it leads
to (as a recursive server would, up to 20 links, loops included). Names with no rule get NXDOMAIN, names
with rules for other types only get NODATA. Same interface as dns_server.DnsServer (address, start, stop,
cleanup, diagnostics). Listens on 127.0.0.1 only; a daemon thread with a socket timeout.
"""

import socket
import struct
import threading

from dns_server import TYPE_CODES, TYPES, free_udp_tcp_port

MAX_CHAIN = 20


def _name(n):
    out = b""
    for label in n.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def _rr(owner, rtype, rdata, ttl=1):
    return _name(owner) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


class ScriptedDns:
    def __init__(self, rules):
        self.rules = {(n.lower(), t): v for (n, t), v in rules.items()}
        self.port = 0
        self.queries = []          # [(name, type name, rcode, answers)]
        self._sock = None
        self._thread = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        self.port = free_udp_tcp_port()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._loop, daemon=True, name="scripted-dns")
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
            self._thread = None
        if self._sock:
            self._sock.close()
            self._sock = None

    cleanup = stop

    def diagnostics(self):
        with self._lock:
            lines = ["  %s %s -> rcode %d, %d answers" % q for q in self.queries[-30:]]
        return "----- scripted DNS on %s, last queries:\n%s" % (self.address, "\n".join(lines) or "  (none)")

    # --- answers ---
    def _rule(self, name, qtype):
        return self.rules.get((name, TYPES.get(qtype, "?"))) or self.rules.get((name, "*"))

    def _answer(self, name, qtype):
        """(rcode, [rr bytes])"""
        answers = []
        for _ in range(MAX_CHAIN):
            rule = self._rule(name, qtype)
            if rule is None:
                if answers:
                    return 0, answers
                exists = any(n == name for n, _ in self.rules)
                return (0 if exists else 3), []
            kind, value = rule
            if kind == "rcode":
                return value, []
            if kind == "cname":
                answers.append(_rr(name, TYPE_CODES["CNAME"], _name(value)))
                name = value.lower()
                continue
            if kind == "a" and qtype == TYPE_CODES["A"]:
                answers.append(_rr(name, qtype, socket.inet_aton(value)))
            elif kind == "mx" and qtype == TYPE_CODES["MX"]:
                for pref, host in value:
                    answers.append(_rr(name, qtype, struct.pack("!H", pref) + _name(host)))
            return 0, answers
        return 0, answers

    def _loop(self):
        while not self._stop.is_set():
            try:
                msg, peer = self._sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(msg) < 12:
                continue
            qid, _, qd = struct.unpack("!HHH", msg[:6])
            pos, labels = 12, []
            while pos < len(msg) and msg[pos] != 0:
                ln = msg[pos]
                labels.append(msg[pos + 1:pos + 1 + ln].decode("ascii", "replace"))
                pos += 1 + ln
            if qd != 1 or pos + 5 > len(msg):
                continue
            question = msg[12:pos + 5]
            qtype = struct.unpack("!H", msg[pos + 1:pos + 3])[0]
            name = ".".join(labels).lower()
            rcode, answers = self._answer(name, qtype)
            with self._lock:
                self.queries.append((name, TYPES.get(qtype, str(qtype)), rcode, len(answers)))
            header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
            try:
                self._sock.sendto(header + question + b"".join(answers), peer)
            except OSError:
                pass
