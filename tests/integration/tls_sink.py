"""SMTP sinks that offer STARTTLS, for the outbound TLS tests (test_delivery_tls).

    certs = TestCerts(tmpdir, ["mx.tls.test"])     # a test CA and a leaf for those names (openssl CLI)
    sink = TlsSink("127.0.0.2", port, certs=certs).start()
    broken = TlsSink("127.0.0.3", port, mode="broken").start()
    ...
    sink.tls_info(m.connection)   # (version, cipher) of the connection a message came on, or None

Modes:
  "tls"    -> STARTTLS is answered with 220 and a real TLS handshake (Python's
              ssl module, server side, with the TestCerts leaf); EHLO after it
              no longer offers STARTTLS (RFC 3207 4.2).
  "broken" -> STARTTLS is offered and answered with 220, then the sink sends
              plain-text garbage and closes: every handshake fails.
Everything else is SmtpSink's (sink.py). Only the standard library and the
openssl command line tool are used.
"""

import os
import socketserver
import ssl
import subprocess

import sink as base


class TestCerts:
    """A CA and a leaf certificate (EC P-256) whose subjectAltName lists `names`, made with the openssl CLI."""

    def __init__(self, directory, names):
        self.dir = directory
        self.ca_cert = os.path.join(directory, "ca.pem")
        self.ca_key = os.path.join(directory, "ca.key")
        self.cert = os.path.join(directory, "leaf.pem")
        self.key = os.path.join(directory, "leaf.key")
        csr = os.path.join(directory, "leaf.csr")
        ext = os.path.join(directory, "leaf.ext")
        san = ",".join("DNS:" + n for n in names)

        def run(*args):
            r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr))

        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2", "-subj", "/CN=ringpost test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", self.key, "-out", csr, "-subj", "/CN=%s" % names[0])
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" % san)
        run("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key, "-CAcreateserial",
            "-out", self.cert, "-days", "2", "-extfile", ext)


class _TlsHandler(base._Handler):
    def session(self):
        self.tls_active = False
        super().session()

    def cmd_EHLO(self, arg):
        self.ehlo_done, self.esmtp = True, True
        self.reset()
        self.sink._bump("ehlo")
        lines = ["%s Hello %s" % (self.sink.hostname, arg.strip() or "?")]
        for e in self.sink.extensions:
            if e == "STARTTLS" and self.tls_active:
                continue
            lines.append("SIZE %d" % base.SIZE_LIMIT if e == "SIZE" else e)
        for i, l in enumerate(lines):
            self.reply("250%s%s" % (" " if i == len(lines) - 1 else "-", l))

    def cmd_STARTTLS(self, arg):
        sink = self.sink
        if self.tls_active or "STARTTLS" not in sink.extensions:
            self.reply("503 5.5.1 TLS already active" if self.tls_active else "500 5.5.2 command not recognized")
            return
        sink._bump("starttls")
        self.reply("220 2.0.0 Ready to start TLS")
        if sink.mode == "broken":
            sink._note(self.conn, "S", "(garbage instead of a TLS handshake, then close)")
            self.wfile.write(b"this is not a TLS ServerHello\r\n" * 4)
            raise base._Dropped()
        try:
            tls = sink.context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as e:
            sink._note(self.conn, "S", "(TLS handshake failed: %s)" % e)
            sink._tls_failed(self.conn, str(e))
            raise base._Dropped()
        # Plain-text state is forgotten (RFC 3207 4.2); the socket is now TLS.
        self.connection = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = socketserver._SocketWriter(tls)
        self.tls_active = True
        self.ehlo_done = self.esmtp = False
        self.reset()
        sink._tls_up(self.conn, tls.version(), tls.cipher()[0])
        sink._note(self.conn, "S", "(TLS up: %s %s)" % (tls.version(), tls.cipher()[0]))


class _TlsServer(base._Server):
    def __init__(self, addr, sink):
        self.address_family = base.socket.AF_INET6 if ":" in addr[0] else base.socket.AF_INET
        self.sink = sink
        socketserver.ThreadingTCPServer.__init__(self, addr, _TlsHandler)


class TlsSink(base.SmtpSink):
    """SmtpSink plus STARTTLS (mode "tls" with `certs`, or "broken")."""

    def __init__(self, host="127.0.0.1", port=0, certs=None, mode="tls", extensions=base.DEFAULT_EXTENSIONS,
                 **kw):
        super().__init__(host, port, extensions=list(extensions) + ["STARTTLS"], **kw)
        self.mode = mode
        self.context = None
        if mode == "tls":
            if certs is None:
                raise ValueError("a TLS sink needs certificates")
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(certs.cert, certs.key)
        self._tls = {}            # connection -> (version, cipher)
        self.tls_failures = []    # [(connection, error)]

    def start(self):
        self._server = _TlsServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = base.threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                             name="tls-sink-%s:%d" % (self.host, self.port), daemon=True)
        self._thread.start()
        return self

    def tls_info(self, connection):
        """(version, cipher) if `connection` switched to TLS, else None."""
        with self._lock:
            return self._tls.get(connection)

    @property
    def starttls_count(self):
        with self._lock:
            return self.counts["starttls"]

    def _tls_up(self, conn, version, cipher):
        with self._lock:
            self._tls[conn] = (version, cipher)

    def _tls_failed(self, conn, error):
        with self._lock:
            self.tls_failures.append((conn, error))

    def describe(self, lines=40):
        with self._lock:
            extra = "  mode %s, TLS connections %r, handshake failures %r" % (self.mode, self._tls,
                                                                             self.tls_failures[:5])
        return super().describe(lines) + "\n" + extra
