"""A private Postfix instance on loopback, as a real peer for the tests
(Debian package postfix; a test that needs it calls harness.missing_dependency
when Postfix or root is missing).

    pf = PostfixPeer(relay={"example.net": "127.0.0.1:2626"}).start()
    ... send to 127.0.0.1:pf.port ...
    pf.stop()

It accepts mail from 127.0.0.0/8 for the relay domains and passes it on to
the given next hop without DNS (transport_maps), leaving the message as it
came apart from its own Received: line. Own config and queue in a temp dir,
started with `postfix -c DIR start` and stopped by its master's PID, the way
../shared/peers/postfix-bench.sh runs it. Needs root (Postfix's master).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

MASTER_CF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "bench",
                         "postfix-master.cf.in")


def postfix_missing():
    """Why a PostfixPeer cannot run here, or None."""
    if not shutil.which("postfix") and not os.path.exists("/usr/sbin/postfix"):
        return "postfix not installed (tools/install-deps.sh installs it)"
    if os.geteuid() != 0:
        return "a private Postfix instance needs root"
    return None


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PostfixPeer:
    def __init__(self, relay):
        self.relay = dict(relay)     # domain -> "host:port" next hop
        self.port = None
        self.dir = None
        self.master_pid = None

    def _postfix(self, *args):
        binary = shutil.which("postfix") or "/usr/sbin/postfix"
        return subprocess.run([binary, "-c", self.conf] + list(args), capture_output=True, text=True, timeout=60)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="ringpost-it-postfix-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "etc")
        os.makedirs(self.conf)
        for sub in ("spool", "data"):
            os.makedirs(os.path.join(self.dir, sub))
        shutil.chown(os.path.join(self.dir, "data"), user="postfix")
        self.port = _free_port()
        transports = ", ".join("%s=smtp:[%s]:%s" % ((d,) + tuple(hop.rsplit(":", 1))) for d, hop in self.relay.items())
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("\n".join([
                "compatibility_level = 3.6",
                "queue_directory = %s/spool" % self.dir,
                "data_directory = %s/data" % self.dir,
                "daemon_directory = /usr/lib/postfix/sbin",
                "meta_directory = /etc/postfix",
                "shlib_directory = /usr/lib/postfix",
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "maillog_file = %s/maillog" % self.dir,
                "myhostname = postfix.ringpost.test",
                "mydomain = ringpost.test",
                "mydestination =",
                "local_recipient_maps =",
                "alias_maps =",
                "alias_database =",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "relay_domains = %s" % ", ".join(self.relay),
                "transport_maps = inline:{ %s }" % transports,
                "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
                "smtpd_peername_lookup = no",
                "smtp_dns_support_level = disabled",
                "biff = no",
                ""]))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            with open(MASTER_CF) as template:
                f.write(template.read().replace("@PORT@", str(self.port)))
        self._postfix("set-permissions")
        for step in ("check", "start"):
            r = self._postfix(step)
            if r.returncode != 0:
                raise AssertionError("postfix %s failed (%d):\n%s%s\n%s" % (step, r.returncode, r.stdout, r.stderr,
                                                                           self.log_tail()))
        pid_file = os.path.join(self.dir, "spool", "pid", "master.pid")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.master_pid = int(open(pid_file).read().strip())
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return self
            except (OSError, ValueError):
                time.sleep(0.1)
        raise AssertionError("postfix did not start listening on port %d\n%s" % (self.port, self.log_tail()))

    def log_tail(self, n=40):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no maillog)"

    def stop(self):
        if self.master_pid:
            try:
                os.kill(self.master_pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(self.master_pid, 0)
                    time.sleep(0.1)
            except ProcessLookupError:
                pass
            self.master_pid = None
        if self.dir:
            shutil.rmtree(self.dir, True)
            self.dir = None
