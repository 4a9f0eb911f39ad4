"""PROXY protocol v1 and v2 on the listeners (docs/INBOUND.md, "PROXY
protocol"): the client address a header gives is the one the relay policy,
the per-IP connection limit, the Received: header and the logs see, on SMTP,
implicit TLS (the header first, then the handshake, even when the
ClientHello comes in the same segment), IMAP and HTTP. A peer outside
proxy_networks and a damaged header are closed without a word, logged as
proxy_error. Then a real HAProxy in front (mode tcp, send-proxy and
send-proxy-v2, TLS passed through), with the client's socket bound to
127.0.0.5. And check-config: proxy_protocol without proxy_networks is an
error."""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

import harness
from harness import HOSTNAME, RawSMTP, ServerTestCase, make_message, verify_local

# The proxies: 127.0.0.1 (this test's own connections, HAProxy's and the
# readiness probe) and 127.0.0.2; 127.0.0.3 is "outside".
PROXIES = ["127.0.0.1/32", "127.0.0.2/32"]
RELAY = "127.0.0.7"         # the one relay network: only a header can make a client this
STRANGER = "127.0.0.9"      # neither a relay network nor a proxy
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, dst="127.0.0.1", sport=40001, dport=25):
    return ("PROXY TCP4 %s %s %d %d\r\n" % (src, dst, sport, dport)).encode()


def v2(src, dst="127.0.0.1", sport=40002, dport=25, tlvs=b""):
    block = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport) + tlvs
    return V2_SIG + b"\x21\x11" + struct.pack(">H", len(block)) + block


def tls_client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ProxyProtocolTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = cls.start_class_server({
            "proxy_networks": PROXIES,
            "smtp": {"proxy_protocol": True, "max_connections_per_ip": 2},
            "smtps": {"proxy_protocol": True},
            "imap": {"proxy_protocol": True},
            "http": {"proxy_protocol": True},
            "relay": {"relay_networks": [RELAY + "/32"]},
        })
        cls.srv.add_user("alice@localhost")
        cls.haproxy = None

    @classmethod
    def tearDownClass(cls):
        if cls.haproxy is not None:
            cls.haproxy.stop()
        super().tearDownClass()

    # --- helpers

    def proxied(self, header, source="127.0.0.1", greet=True):
        """An SMTP client that sends `header` first; greeted unless told not to."""
        c = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source=source)
        self.addCleanup(c.close)
        c.send(header)
        if greet:
            self.assertReply(c.read_reply(), 220, client=c)
        return c

    def assert_closed_unanswered(self, sock, reason, client):
        sock.settimeout(5)   # closed at once, well before the 10 s header timeout
        try:
            data = sock.recv(100)
        except ConnectionResetError:
            data = b""
        self.assertEqual(data, b"", "the server answered a connection it should have closed")
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "proxy_error" and d.get("reason") == reason
                                          and d.get("client") == client),
                        self.srv.diagnostics())

    def send_to_alice(self, c, marker):
        msg = make_message("proxied " + marker, ["through a load balancer"])
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<x@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<alice@localhost>"), 250, client=c)
        self.assertReply(c.cmd("DATA"), 354, client=c)
        c.send(msg + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0", client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        return verify_local(self, self.srv, "alice@localhost", "x@example.org", harness.parse_qid(r.text), msg)

    def connect_log(self, client, port=None):
        """The connect line of `client` (and of its source port: what the header gave)."""
        return self.srv.wait_log(lambda d: d.get("event") == "connect" and d.get("client") == client
                                 and (port is None or d.get("port") == str(port)))

    # --- raw headers

    def test_v1_header_makes_the_client_a_relay(self):
        # The real peer, 127.0.0.1, may not relay; the client the header names may.
        c = self.proxied(v1(RELAY))
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<x@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<someone@remote.example>"), 250, client=c,
                         msg="the proxied client is in relay_networks")
        self.assertReply(c.cmd("RSET"), 250, client=c)
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        self.assertTrue(self.connect_log(RELAY, 40001), self.srv.diagnostics())

    def test_v2_header_names_the_client_in_received_and_policy(self):
        c = self.proxied(v2(STRANGER), source="127.0.0.2")
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<x@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<someone@remote.example>"), 554, "5.7.1", client=c,
                         msg="the proxied client may not relay, whoever the proxy is")
        self.assertReply(c.cmd("RSET"), 250, client=c)
        received = self.send_to_alice(c, "v2")
        self.assertIn("[%s]" % STRANGER, received)
        self.assertNotIn("127.0.0.2", received)
        self.assertTrue(self.connect_log(STRANGER), self.srv.diagnostics())

    def test_v2_with_tlvs_and_a_local_health_check(self):
        tlvs = b"\x01\x00\x02h2" + b"\x04\x00\x00"   # ALPN, NOOP
        c = self.proxied(v2("127.0.0.11", tlvs=tlvs))
        received = self.send_to_alice(c, "tlvs")
        self.assertIn("[127.0.0.11]", received)
        # LOCAL: the proxy speaks for itself; 127.0.0.2 is the client then.
        c = self.proxied(harness.PROXY_V2_LOCAL, source="127.0.0.2")
        self.assertReply(c.cmd("QUIT"), 221, client=c)
        self.assertTrue(self.connect_log("127.0.0.2"), self.srv.diagnostics())

    def test_a_peer_outside_proxy_networks_is_closed_unanswered(self):
        c = RawSMTP("127.0.0.1", self.srv.port, timeout=10, source="127.0.0.3")
        self.addCleanup(c.close)
        c.send(v1(RELAY))   # a header from a stranger is not believed
        self.assert_closed_unanswered(c.sock, "not_in_proxy_networks", "127.0.0.3")

    def test_a_damaged_header_is_closed_unanswered(self):
        for data, reason in ((b"EHLO client.test\r\n", "not_proxy"),
                             (b"PROXY TCP4 127.0.0.300 127.0.0.1 1 25\r\n", "v1_bad_address"),
                             (V2_SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12, "v2_bad_version"),
                             (b"PROXY UNKNOWN " + b"x" * 120, "v1_too_long")):
            c = self.proxied(data, greet=False)
            self.assert_closed_unanswered(c.sock, reason, "127.0.0.1")

    def test_the_per_ip_limit_counts_the_proxied_client(self):
        # max_connections_per_ip = 2: two from 10.1.1.1 are all it may have,
        # though every connection comes from the one proxy.
        held = [self.proxied(v2("10.1.1.1")) for _ in range(2)]
        third = self.proxied(v2("10.1.1.1"), greet=False)
        r = third.read_reply()
        self.assertReply(r, 421, "4.7.0", client=third)
        self.assertIn("from your address", r.text)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "refused" and d.get("client") == "10.1.1.1"
                                          and d.get("reason") == "max_connections_per_ip"))
        other = self.proxied(v1("10.1.1.2"))   # another client through the same proxy
        self.assertReply(other.cmd("QUIT"), 221, client=other)
        for c in held:
            self.assertReply(c.cmd("QUIT"), 221, client=c)

    def test_implicit_tls_with_the_client_hello_in_the_same_segment(self):
        # The header and the ClientHello in one send: the server must read
        # exactly the header and leave the handshake's bytes to TLS.
        sock = socket.create_connection(("127.0.0.1", self.srv.smtps_port), timeout=10)
        self.addCleanup(sock.close)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = tls_client_context().wrap_bio(incoming, outgoing, server_hostname=HOSTNAME)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        sock.sendall(v2("127.0.0.12", dport=465) + outgoing.read())

        def receive():
            data = sock.recv(65536)
            self.assertNotEqual(data, b"", "closed during the handshake\n" + self.srv.diagnostics())
            incoming.write(data)

        for _ in range(20):   # a few round trips at most
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                receive()
        sock.sendall(outgoing.read())   # the client's Finished
        plain = b""
        while b"\r\n" not in plain:
            try:
                plain += tls.read(4096)
            except ssl.SSLWantReadError:
                receive()
        self.assertTrue(plain.startswith(b"220 "), plain)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "connect" and d.get("client") == "127.0.0.12"),
                        self.srv.diagnostics())

    def test_imap_sees_the_proxied_client(self):
        s = socket.create_connection(("127.0.0.1", self.srv.imap_port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(v1("127.0.0.13", dport=143))
        self.assertTrue(s.recv(4096).startswith(b"* OK"))
        s.sendall(b"a1 LOGOUT\r\n")
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "connect" and d.get("proto") == "imap"
                                          and d.get("client") == "127.0.0.13"), self.srv.diagnostics())

    def http_get(self, header, path="/api/v1/queue/list"):
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(header + b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        return int(data.split(b" ", 2)[1])

    def test_http_access_follows_the_proxied_client(self):
        # Without a tokens file the API is for relay_networks only.
        self.assertEqual(self.http_get(v2(RELAY, dport=8025)), 200)
        self.assertEqual(self.http_get(v1(STRANGER, dport=8025)), 403)
        self.assertTrue(self.srv.wait_log(lambda d: d.get("event") == "http_request" and d.get("status") == "403"
                                          and d.get("client") == STRANGER))

    # --- HAProxy in front

    def haproxy_ports(self):
        cls = type(self)
        if cls.haproxy is None:
            cls.haproxy = HAProxy(self, self.srv)
        return cls.haproxy.ports

    def via_haproxy(self, port):
        c = RawSMTP("127.0.0.1", port, timeout=10, source="127.0.0.5")
        self.addCleanup(c.close)
        self.assertReply(c.read_reply(), 220, client=c)
        self.assertTrue(self.connect_log("127.0.0.5", c.sock.getsockname()[1]), self.srv.diagnostics())
        return c

    def test_haproxy_send_proxy_v2(self):
        ports = self.haproxy_ports()
        received = self.send_to_alice(self.via_haproxy(ports["v2"]), "haproxy v2")
        self.assertIn("[127.0.0.5]", received)

    def test_haproxy_send_proxy_v1(self):
        ports = self.haproxy_ports()
        c = self.via_haproxy(ports["v1"])
        self.assertReply(c.cmd("EHLO client.test"), 250, client=c)
        self.assertReply(c.cmd("MAIL FROM:<x@example.org>"), 250, client=c)
        self.assertReply(c.cmd("RCPT TO:<someone@remote.example>"), 554, "5.7.1", client=c,
                         msg="127.0.0.5 may not relay, though HAProxy (127.0.0.1) connects")
        self.assertReply(c.cmd("RSET"), 250, client=c)
        self.assertIn("[127.0.0.5]", self.send_to_alice(c, "haproxy v1"))

    def test_haproxy_passes_implicit_tls_through(self):
        ports = self.haproxy_ports()
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(10)
        raw.bind(("127.0.0.5", 0))
        raw.connect(("127.0.0.1", ports["tls"]))
        source_port = raw.getsockname()[1]
        s = tls_client_context().wrap_socket(raw, server_hostname=HOSTNAME)
        self.addCleanup(s.close)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220 "))
        s.sendall(b"EHLO client.test\r\n")
        while True:
            line = f.readline()
            self.assertTrue(line.startswith(b"250"), line)
            if line.startswith(b"250 "):
                break
        s.sendall(b"QUIT\r\n")
        self.assertTrue(f.readline().startswith(b"221"))
        self.assertTrue(self.connect_log("127.0.0.5", source_port), self.srv.diagnostics())


class CheckConfigTest(unittest.TestCase):
    """check-config: proxy_protocol needs proxy_networks, and the summary names both."""

    def check_config(self, text):
        tmp = tempfile.mkdtemp(prefix="ringpost-it-proxy-cfg-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "ringpost.toml")
        with open(path, "w") as f:
            f.write(text)
        return subprocess.run([harness.ringpost_bin(), "check-config", "--config", path], capture_output=True,
                              cwd=tmp, timeout=30)

    def test_proxy_protocol_without_proxy_networks_is_refused(self):
        r = self.check_config("[smtps]\nproxy_protocol = true\n")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"smtps.proxy_protocol: needs proxy_networks", r.stderr + r.stdout)
        r = self.check_config("proxy_networks = [\"10.0.0.10\"]\n[smtps]\nproxy_protocol = true\n")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(b"proxy_protocol: smtps from 10.0.0.10", r.stdout)


class HAProxy:
    """haproxy -db with three TCP frontends on loopback: v2 and v1 headers to
    the SMTP listener, and v2 to smtps with TLS passed through."""

    def __init__(self, tc, srv):
        try:
            subprocess.run(["haproxy", "-v"], capture_output=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            harness.missing_dependency(tc, "haproxy is not installed (tools/install-deps.sh)")
        self.ports = {"v2": harness.free_port(), "v1": harness.free_port(), "tls": harness.free_port()}
        backends = {"v2": (srv.port, "send-proxy-v2"), "v1": (srv.port, "send-proxy"),
                    "tls": (srv.smtps_port, "send-proxy-v2")}
        lines = ["global", "    maxconn 64", "defaults", "    mode tcp", "    timeout connect 5s",
                 "    timeout client 20s", "    timeout server 20s"]
        for name, (port, option) in backends.items():
            lines += ["frontend fe_%s" % name, "    bind 127.0.0.1:%d" % self.ports[name],
                      "    default_backend be_%s" % name,
                      "backend be_%s" % name, "    server s 127.0.0.1:%d %s" % (port, option)]
        self.path = os.path.join(srv.tmp, "haproxy.cfg")
        with open(self.path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(srv.tmp, "haproxy.log"), "wb")
        self.proc = subprocess.Popen(["haproxy", "-f", self.path, "-db"], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready(tc)

    def wait_ready(self, tc):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.ports["tls"]), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        with open(self.path) as cfg, open(self.log.name, "rb") as out:
            tc.fail("haproxy did not start:\n%s\n%s" % (cfg.read(), out.read().decode(errors="replace")))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


if __name__ == "__main__":
    unittest.main()
