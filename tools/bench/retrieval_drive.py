#!/usr/bin/env python3
"""retrieval_drive.py: the client side of retrieval-bench.sh (POP3/IMAP retrieval).

  retrieval_drive.py prepare --smtp 127.0.0.1:PORT --imap 127.0.0.1:PORT --users U -n N
        [--size 4096] [--password P] --maildirs DIR --manifest FILE [--timeout 300]
  retrieval_drive.py run --label NAME --proto pop3|imap|imap-bulk|imap-login --target 127.0.0.1:PORT
        --manifest FILE [--server-pid PID [--tree]] [--run I] [--warm] [--timeout 300] [--json FILE]
        [--client cxx|python] [--client-bin PATH/retrieval_client]
  retrieval_drive.py table FILE.jsonl

prepare (untimed): U users u01@localhost .. get N messages each through
ringpost's own SMTP (one connection per user, RFC 3030 BDAT, up to 100
messages in flight per connection: pipelined), waits until every INBOX holds
N messages (IMAP STATUS), then downloads every message once over IMAP
(FETCH 1:* BODY.PEEK[]) and writes the very same bytes, in the same order,
into DIR/uNN/Maildir/cur (file names like a Dovecot delivery,
<time>.M<seq>P1.bench,S=<size>,W=<size>:2,S, so that Dovecot's UID order is
ringpost's order). The manifest keeps each message's size and CRC-32; every
stored message must end with the exact bytes submitted (ringpost only
prepends its Return-Path/Delivered-To/Received headers).

run (timed): U client processes (retrieval_client, built from
retrieval_client.cpp, or with --client python forked copies of this script),
started and connected to nothing until all are ready; then released together,
each one on ONE connection for its user:
  pop3       USER/PASS, STAT, RETR i for i = 1..n one at a time (like poplib), QUIT
  imap       LOGIN, EXAMINE INBOX, FETCH i (BODY.PEEK[]) one at a time, LOGOUT
  imap-bulk  LOGIN, EXAMINE INBOX, ONE FETCH 1:* (BODY.PEEK[]), LOGOUT
  imap-login LOGIN, LOGOUT: what a session costs before any message (server CPU
             per login; the table subtracts it from the other shapes' CPU)
Every message is checked: its size and CRC-32 must be those of the manifest
at the same position (POP3: after undoing the dot-stuffing).
msgs/s = verified messages / (first connect .. last session finished).
Server CPU = utime+stime from /proc of the server (--tree: and of its
descendants, plus what it reaped) just before the start and 0.3 s after the
end; client CPU = getrusage of the U client processes over their sessions;
peak RSS = highest sum of VmRSS (and of Pss, smaps_rollup) over the server
(tree), sampled every 0.25 s during the run and once at the end.
"""
import argparse, base64, json, os, random, resource, select, signal, socket, statistics, sys, threading, time, zlib
from email.utils import formatdate

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- line/literal reader over a socket ----------------------------------------------

class Conn:
    """A blocking socket with one big input buffer: few recv() calls, no per-line syscalls."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def fill(self):
        if self.pos > 1 << 20 or (self.pos and self.pos == len(self.buf)):
            del self.buf[:self.pos]
            self.pos = 0
        data = self.sock.recv(1 << 18)
        if not data:
            raise EOFError("connection closed by the server")
        self.buf += data

    def readline(self):
        while True:
            i = self.buf.find(b"\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i + 1])
                self.pos = i + 1
                return line
            self.fill()

    def read(self, n):
        while len(self.buf) - self.pos < n:
            self.fill()
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def read_dotted(self):
        """POP3 multi-line body after the status line, up to CRLF.CRLF; dot-stuffing undone."""
        scanned = 0   # bytes after pos already searched (fill() keeps them relative to pos)
        while True:
            if len(self.buf) - self.pos >= 3 and self.buf[self.pos:self.pos + 3] == b".\r\n":
                self.pos += 3   # empty body
                return b""
            i = self.buf.find(b"\r\n.\r\n", self.pos + max(scanned - 4, 0))
            if i >= 0:
                body = bytes(self.buf[self.pos:i + 2])
                self.pos = i + 5
                break
            scanned = len(self.buf) - self.pos
            self.fill()
        if body.startswith(b".."):
            body = body[1:]
        if b"\r\n.." in body:
            body = body.replace(b"\r\n..", b"\r\n.")
        return body

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def hostport(s):
    h, _, p = s.rpartition(":")
    return h or "127.0.0.1", int(p)


# ---- SMTP injection (prepare) ---------------------------------------------------------

def make_message(user, i, size, rng, stamp):
    head = (f"From: Bench Sender <sender@src.test>\r\nTo: {user}\r\nSubject: bench {user} m{i:06d}\r\n"
            f"Date: {formatdate(stamp + i, usegmt=True)}\r\nMessage-ID: <{i}.{stamp}.{user}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    need = size - len(head)
    if need < 3:
        raise ValueError(f"--size {size} is smaller than the headers ({len(head)} bytes) + 3")
    # lines of 76 base64 characters + CRLF; a remainder of 1-2 bytes lengthens the last line
    full, rem = divmod(need, 78)
    widths = [76] * full
    if rem >= 3:
        widths.append(rem - 2)
    elif rem:
        widths[-1] += rem
    raw = base64.b64encode(rng.randbytes(need)).decode()
    lines, off = [], 0
    for w in widths:
        lines.append(raw[off:off + w] + "\r\n")
        off += w
    body = "".join(lines).encode()
    msg = head + body
    assert len(msg) == size, (len(msg), size)
    return msg


def smtp_reply(c):
    lines = []
    while True:
        line = c.readline()
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), b"".join(lines)


def inject_user(host, port, user, msgs, timeout, window, errors):
    try:
        c = Conn(host, port, timeout)
        code, text = smtp_reply(c)
        if code != 220:
            raise RuntimeError(f"greeting {text!r}")
        c.send(b"EHLO bench.local\r\n")
        code, text = smtp_reply(c)
        if code != 250:
            raise RuntimeError(f"EHLO {text!r}")
        chunking = b"CHUNKING" in text.upper()
        sent = 0
        while sent < len(msgs):
            batch = msgs[sent:sent + window]
            out = bytearray()
            for m in batch:
                out += f"MAIL FROM:<sender@src.test>\r\nRCPT TO:<{user}>\r\n".encode()
                if chunking:
                    out += f"BDAT {len(m)} LAST\r\n".encode() + m
                else:
                    out += b"DATA\r\n"
            if chunking:
                c.send(out)
                for k in range(len(batch)):
                    for what in ("MAIL", "RCPT", "BDAT"):
                        code, text = smtp_reply(c)
                        if code != 250:
                            raise RuntimeError(f"message {sent + k} {what}: {text!r}")
            else:  # DATA: wait for 354 of each message (RFC 2920: DATA ends a pipelined group)
                for k, m in enumerate(batch):
                    c.send(f"MAIL FROM:<sender@src.test>\r\nRCPT TO:<{user}>\r\nDATA\r\n".encode())
                    for what in ("MAIL", "RCPT"):
                        code, text = smtp_reply(c)
                        if code != 250:
                            raise RuntimeError(f"message {sent + k} {what}: {text!r}")
                    code, text = smtp_reply(c)
                    if code != 354:
                        raise RuntimeError(f"message {sent + k} DATA: {text!r}")
                    c.send(m.replace(b"\r\n.", b"\r\n..") + b".\r\n")
                    code, text = smtp_reply(c)
                    if code != 250:
                        raise RuntimeError(f"message {sent + k} end of data: {text!r}")
            sent += len(batch)
        c.send(b"QUIT\r\n")
        c.close()
    except Exception as e:  # reported by the caller
        errors.append(f"{user}: SMTP: {e}")


# ---- IMAP helpers ---------------------------------------------------------------------

class Imap:
    def __init__(self, host, port, timeout):
        self.c = Conn(host, port, timeout)
        g = self.c.readline()
        if not g.startswith(b"* OK"):
            raise RuntimeError(f"IMAP greeting {g!r}")
        self.n = 0

    def command(self, cmd, bodies=None):
        """Send one command; return (untagged lines, tagged line). Literals of FETCH
        BODY[] responses go into bodies[seq] when bodies is a dict/list."""
        self.n += 1
        tag = b"a%d" % self.n
        self.c.send(tag + b" " + cmd.encode() + b"\r\n")
        untagged = []
        tl = len(tag) + 1
        while True:
            line = self.c.readline()
            if line[:tl] == tag + b" ":
                if line[tl:tl + 2] != b"OK":
                    raise RuntimeError(f"IMAP {cmd.split()[0]}: {line.strip()!r}")
                return untagged, line
            if line.endswith(b"}\r\n"):
                # a literal: "* 5 FETCH (BODY[] {4321}" CRLF <4321 bytes> ")" CRLF
                j = line.rfind(b"{")
                lit = self.c.read(int(line[j + 1:-3]))
                rest = self.c.readline()
                while rest.endswith(b"}\r\n"):   # further literals in the same response (not asked for)
                    k = rest.rfind(b"{")
                    self.c.read(int(rest[k + 1:-3]))
                    rest = self.c.readline()
                if bodies is not None and b"BODY[]" in line:
                    seq = int(line[2:line.index(b" ", 2)])
                    bodies.append((seq, lit))
                continue
            untagged.append(line)

    def login(self, user, password):
        self.command(f'LOGIN "{user}" "{password}"')

    def examine(self):
        untagged, _ = self.command("EXAMINE INBOX")
        for line in untagged:
            p = line.split()
            if len(p) >= 3 and p[2].upper() == b"EXISTS":
                return int(p[1])
        raise RuntimeError("EXAMINE INBOX: no EXISTS")

    def status_messages(self):
        untagged, _ = self.command("STATUS INBOX (MESSAGES)")
        for line in untagged:
            u = line.upper()
            if b"MESSAGES" in u:
                return int(u[u.index(b"MESSAGES") + 8:].split(b")")[0].split()[0])
        raise RuntimeError("STATUS: no MESSAGES")

    def logout(self):
        try:
            self.command("LOGOUT")
        except (RuntimeError, EOFError, OSError):
            pass
        self.c.close()


# ---- prepare ---------------------------------------------------------------------------

def cmd_prepare(a):
    smtp_h, smtp_p = hostport(a.smtp)
    imap_h, imap_p = hostport(a.imap)
    users = [f"u{k:02d}@localhost" for k in range(1, a.users + 1)]
    stamp = int(time.time())
    t0 = time.monotonic()
    submitted = {}
    for k, u in enumerate(users):
        rng = random.Random(f"{a.seed}:{u}")
        submitted[u] = [make_message(u, i, a.size, rng, stamp) for i in range(a.n)]
    errors = []
    threads = [threading.Thread(target=inject_user, args=(smtp_h, smtp_p, u, submitted[u], a.timeout, a.window, errors))
               for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.timeout)
    if errors or any(t.is_alive() for t in threads):
        sys.exit("prepare: injection failed: " + "; ".join(errors[:5] or ["timeout"]))
    t_inj = time.monotonic() - t0
    print(f"prepare: {a.users} x {a.n} messages of {a.size} bytes accepted over SMTP in {t_inj:.1f} s "
          f"({a.users * a.n / max(t_inj, 1e-9):.0f} msg/s, untimed)", flush=True)

    # wait for local delivery into the INBOXes
    deadline = time.monotonic() + a.timeout
    sessions = {}
    for u in users:
        m = Imap(imap_h, imap_p, a.timeout)
        m.login(u, a.password)
        sessions[u] = m
    counts = {}
    while True:
        counts = {u: m.status_messages() for u, m in sessions.items()}
        if all(v >= a.n for v in counts.values()):
            break
        if time.monotonic() > deadline:
            sys.exit(f"prepare: after {a.timeout} s the INBOXes hold {sum(counts.values())} of "
                     f"{a.users * a.n} messages: {counts}")
        time.sleep(0.2)
    t_del = time.monotonic() - t0
    print(f"prepare: all {a.users * a.n} messages in the INBOXes {t_del:.1f} s after the first was sent", flush=True)
    if any(v != a.n for v in counts.values()):
        sys.exit(f"prepare: INBOXes hold more than {a.n} messages: {counts}")

    manifest = {"users": users, "password": a.password, "n": a.n, "size": a.size, "msgs": {}}
    total = 0
    for k, u in enumerate(users):
        m = sessions[u]
        n = m.examine()
        bodies = []
        m.command("FETCH 1:* (BODY.PEEK[])", bodies)
        m.logout()
        bodies.sort()
        if n != a.n or len(bodies) != a.n or [s for s, _ in bodies] != list(range(1, a.n + 1)):
            sys.exit(f"prepare: {u}: EXISTS {n}, {len(bodies)} bodies fetched, expected {a.n}")
        # every submitted message exactly once, unchanged apart from the prepended headers
        seen = set()
        for seq, b in bodies:
            j = b.find(b"\r\nSubject: bench ")
            if j < 0:
                sys.exit(f"prepare: {u} message {seq}: no Subject: bench line")
            subj = b[j + 2:b.index(b"\r\n", j + 2)]
            idx = int(subj.rsplit(b" m", 1)[1])
            if idx in seen or idx >= a.n or not b.endswith(submitted[u][idx]):
                sys.exit(f"prepare: {u} message {seq} (submitted #{idx}): duplicate, or not the bytes submitted")
            seen.add(idx)
        md = os.path.join(a.maildirs, u.split("@")[0], "Maildir")
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, d), exist_ok=True)
        entries = []
        for seq, b in bodies:
            name = f"{stamp}.M{seq:06d}P1.bench,S={len(b)},W={len(b)}:2,S"
            with open(os.path.join(md, "cur", name), "wb") as f:
                f.write(b)
            entries.append([len(b), zlib.crc32(b)])
            total += len(b)
        manifest["msgs"][u] = entries
    with open(a.manifest, "w") as f:
        json.dump(manifest, f)
    print(f"prepare: {a.users * a.n} messages ({total / (a.users * a.n):.0f} bytes each on average as stored by "
          f"ringpost) verified and copied byte for byte into {a.maildirs}/uNN/Maildir", flush=True)


# ---- /proc sampling --------------------------------------------------------------------

def tree_pids(root):
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_ticks(root, tree):
    """utime+stime of root (+ its reaped children) and, with tree, of its live descendants."""
    total = 0
    for p in (tree_pids(root) if tree else [root]):
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
        except OSError:
            continue
        v = st[st.rfind(")") + 2:].split()
        total += int(v[11]) + int(v[12])
        if p == root:
            total += int(v[13]) + int(v[14])
    return total


def machine_busy_ticks():
    """busy (not idle, not iowait) clock ticks of the whole machine, all CPUs."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4]   # user nice system idle iowait irq softirq steal


def mem_kib(root, tree):
    rss = pss = 0
    for p in (tree_pids(root) if tree else [root]):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                        break
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss


class Sampler(threading.Thread):
    def __init__(self, root, tree, every=0.25):
        super().__init__(daemon=True)
        self.root, self.tree, self.every = root, tree, every
        self.stop = threading.Event()
        self.rss = self.pss = 0

    def sample(self):
        r, p = mem_kib(self.root, self.tree)
        self.rss, self.pss = max(self.rss, r), max(self.pss, p)

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.every)


# ---- timed sessions ------------------------------------------------------------------

def pop3_session(host, port, user, password, expect, timeout, res):
    c = Conn(host, port, timeout)
    if not c.readline().startswith(b"+OK"):
        raise RuntimeError("POP3 greeting")
    c.send(f"USER {user}\r\n".encode())
    if not c.readline().startswith(b"+OK"):
        raise RuntimeError("USER refused")
    c.send(f"PASS {password}\r\n".encode())
    line = c.readline()
    if not line.startswith(b"+OK"):
        raise RuntimeError(f"PASS: {line.strip()!r}")
    res["t_login"] = time.monotonic()
    c.send(b"STAT\r\n")
    line = c.readline()
    if not line.startswith(b"+OK"):
        raise RuntimeError(f"STAT: {line.strip()!r}")
    n = int(line.split()[1])
    if n != len(expect):
        raise RuntimeError(f"STAT says {n} messages, expected {len(expect)}")
    crc32 = zlib.crc32
    for i in range(1, n + 1):
        c.send(b"RETR %d\r\n" % i)
        line = c.readline()
        if not line.startswith(b"+OK"):
            raise RuntimeError(f"RETR {i}: {line.strip()!r}")
        body = c.read_dotted()
        size, crc = expect[i - 1]
        if len(body) != size or crc32(body) != crc:
            res["bad"] += 1
            if not res["bad_example"]:
                res["bad_example"] = f"RETR {i}: {len(body)} bytes (expected {size}), crc {'ok' if crc32(body) == crc else 'differs'}"
        else:
            res["ok"] += 1
        res["bytes"] += len(body)
        res["fetched"] += 1
    c.send(b"QUIT\r\n")
    line = c.readline()
    if not line.startswith(b"+OK"):
        raise RuntimeError(f"QUIT: {line.strip()!r}")
    c.close()


class Checker(list):
    """bodies sink for Imap.command that verifies as they come and keeps nothing."""

    def __init__(self, expect, res):
        super().__init__()
        self.expect, self.res = expect, res

    def append(self, item):
        seq, body = item
        res = self.res
        if 1 <= seq <= len(self.expect):
            size, crc = self.expect[seq - 1]
            good = len(body) == size and zlib.crc32(body) == crc
        else:
            good, size = False, -1
        if good:
            res["ok"] += 1
        else:
            res["bad"] += 1
            if not res["bad_example"]:
                res["bad_example"] = f"message {seq}: {len(body)} bytes (expected {size})"
        res["bytes"] += len(body)
        res["fetched"] += 1


def imap_session(host, port, user, password, expect, timeout, res, bulk, login_only=False):
    m = Imap(host, port, timeout)
    m.login(user, password)
    res["t_login"] = time.monotonic()
    if login_only:
        m.command("LOGOUT")
        m.c.close()
        return
    n = m.examine()
    if n != len(expect):
        raise RuntimeError(f"EXAMINE says {n} messages, expected {len(expect)}")
    sink = Checker(expect, res)
    if bulk:
        m.command("FETCH 1:* (BODY.PEEK[])", sink)
    else:
        before = 0
        for i in range(1, n + 1):
            m.command("FETCH %d (BODY.PEEK[])" % i, sink)
            if res["fetched"] != before + 1:
                raise RuntimeError(f"FETCH {i}: {res['fetched'] - before} bodies in the response")
            before += 1
    m.command("LOGOUT")
    m.c.close()


def child(a, user, expect, go_r, res_w, ready_w):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    host, port = hostport(a.target)
    res = {"user": user, "ok": 0, "bad": 0, "fetched": 0, "bytes": 0, "bad_example": "", "error": ""}
    os.write(ready_w, b"r")
    if not os.read(go_r, 1):   # the driver went away before the start: run nothing
        os._exit(1)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    res["t_start"] = time.monotonic()
    try:
        if a.proto == "pop3":
            pop3_session(host, port, user, a.password or PASSWORD, expect, a.timeout, res)
        else:
            imap_session(host, port, user, a.password or PASSWORD, expect, a.timeout, res, a.proto == "imap-bulk",
                         a.proto == "imap-login")
    except Exception as e:
        res["error"] = f"{type(e).__name__}: {e}"
    res["t_end"] = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    res["cpu"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    os.write(res_w, (json.dumps(res) + "\n").encode())
    os._exit(0)


PASSWORD = "bench-password"


def start_python_clients(a, man, users):
    """fork one Python client per user; returns (pids, go_w, res_r) once all are ready."""
    go_r, go_w = os.pipe()
    ready_r, ready_w = os.pipe()
    res_r, res_w = os.pipe()
    pids = []
    for u in users:
        pid = os.fork()
        if pid == 0:
            os.close(go_w)
            os.close(ready_r)
            os.close(res_r)
            child(a, u, man["msgs"][u], go_r, res_w, ready_w)
        pids.append(pid)
    os.close(go_r)
    os.close(ready_w)
    os.close(res_w)
    got = 0
    while got < len(users):
        data = os.read(ready_r, 64)
        if not data:
            raise RuntimeError("a client exited before it was ready")
        got += len(data)
    os.close(ready_r)
    return pids, go_w, [res_r]


def start_cxx_clients(a, man, users):
    """one retrieval_client process per user; returns (pids, go_w, [stdout fds]) once all are ready."""
    import subprocess
    if not os.access(a.client_bin, os.X_OK):
        sys.exit(f"retrieval_drive: {a.client_bin} missing: c++ -O2 -std=c++20 -o {a.client_bin} "
                 f"{os.path.join(os.path.dirname(os.path.abspath(__file__)), 'retrieval_client.cpp')} (or --client python)")
    edir = os.path.join(os.path.dirname(os.path.abspath(a.manifest)), "expect")
    os.makedirs(edir, exist_ok=True)
    host, port = hostport(a.target)
    go_r, go_w = os.pipe()
    procs = []
    for u in users:
        ef = os.path.join(edir, u.split("@")[0] + ".txt")
        if not os.path.exists(ef):
            with open(ef + ".tmp", "w") as f:
                f.write("".join(f"{size} {crc}\n" for size, crc in man["msgs"][u]))
            os.rename(ef + ".tmp", ef)
        procs.append(subprocess.Popen([a.client_bin, a.proto, host, str(port), u, a.password or PASSWORD, ef,
                                       str(go_r), str(int(a.timeout))], stdout=subprocess.PIPE, pass_fds=[go_r]))
    os.close(go_r)
    for p in procs:
        line = p.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"{a.client_bin} did not start: {line!r}")
    return [p.pid for p in procs], go_w, [p.stdout.fileno() for p in procs], procs


def cmd_run(a):
    with open(a.manifest) as f:
        man = json.load(f)
    users = man["users"]
    global PASSWORD
    PASSWORD = man["password"]
    procs = []
    if a.client == "cxx":
        pids, go_w, fds, procs = start_cxx_clients(a, man, users)
    else:
        pids, go_w, fds = start_python_clients(a, man, users)

    def kill_children(*_):
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
    signal.signal(signal.SIGTERM, lambda s, f: (kill_children(), sys.exit(143)))
    sampler = None
    if a.server_pid:
        sampler = Sampler(a.server_pid, a.tree)
        sampler.sample()
        c0 = cpu_ticks(a.server_pid, a.tree)
    m0 = machine_busy_ticks()
    t0 = time.monotonic()
    os.write(go_w, b"g" * len(users))
    if sampler:
        sampler.start()
    results, bufs = [], {fd: b"" for fd in fds}
    open_fds = set(fds)
    deadline = t0 + a.timeout
    timed_out = False
    while len(results) < len(users) and open_fds:
        left = deadline - time.monotonic()
        r, _, _ = select.select(list(open_fds), [], [], max(left, 0))
        if not r:
            timed_out = True
            break
        for fd in r:
            data = os.read(fd, 1 << 16)
            if not data:
                open_fds.discard(fd)
                continue
            bufs[fd] += data
            while b"\n" in bufs[fd]:
                line, bufs[fd] = bufs[fd].split(b"\n", 1)
                results.append(json.loads(line))
    t_done = time.monotonic()
    m1 = machine_busy_ticks()
    if timed_out:
        kill_children()
    for p in pids:
        try:
            os.waitpid(p, 0)
        except ChildProcessError:
            pass
    os.close(go_w)
    srv_cpu = None
    rss = pss = 0
    if sampler:
        time.sleep(0.3)   # let the server's session processes exit and be reaped (Dovecot)
        sampler.stop.set()
        sampler.join()
        sampler.sample()
        srv_cpu = (cpu_ticks(a.server_pid, a.tree) - c0) / CLK_TCK
        rss, pss = sampler.rss, sampler.pss
    login_only = a.proto == "imap-login"
    expected = 0 if login_only else sum(len(man["msgs"][u]) for u in users)
    ok = sum(r["ok"] for r in results)
    bad = sum(r["bad"] for r in results)
    errors = [f'{r["user"]}: {r["error"]}' for r in results if r["error"]]
    errors += [f'{r["user"]}: {r["bad_example"]}' for r in results if r["bad_example"]]
    if timed_out:
        errors.append(f"timeout after {a.timeout} s: {len(users) - len(results)} sessions unfinished")
    elif len(results) < len(users):
        errors.append(f"{len(users) - len(results)} client(s) exited without a result")
    if results:
        wall = max(r["t_end"] for r in results) - min(r["t_start"] for r in results)
    else:
        wall = t_done - t0
    logins = sorted((r["t_login"] - r["t_start"]) * 1000 for r in results if "t_login" in r)
    # the fetch phase: from the first session logged in to the last one finished
    t_logins = [r["t_login"] for r in results if "t_login" in r]
    fetch_wall = (max(r["t_end"] for r in results) - min(t_logins)) if t_logins else 0
    if login_only and len(t_logins) != len(users):
        errors.append(f"{len(users) - len(t_logins)} of {len(users)} logins failed")
    status = "ok" if ok == expected and not errors else "FAILED"
    rec = {
        "label": a.label, "proto": a.proto, "run": a.run, "users": len(users), "n_per_user": man["n"],
        "size_submitted": man["size"], "expected": expected, "ok": ok, "bad": bad,
        "bytes": sum(r["bytes"] for r in results), "wall_s": round(wall, 4),
        "msgs_per_s": round(ok / wall, 1) if wall > 0 else 0.0,
        "msgs_per_s_from_login": round(ok / fetch_wall, 1) if fetch_wall > 0 else 0.0,
        "server_cpu_s": srv_cpu, "client_cpu_s": round(sum(r.get("cpu", 0) for r in results), 3),
        "peak_rss_kib": rss, "peak_pss_kib": pss,
        # CPU the machine spent during the run on anything but this server and these clients
        # (the other server idling, the driver, the kernel's softirqs, and whatever else runs)
        "other_cpu_s": round((m1 - m0) / CLK_TCK - (srv_cpu or 0) - sum(r.get("cpu", 0) for r in results), 2),
        "machine_busy_pct": round(100 * (m1 - m0) / CLK_TCK / max(t_done - t0, 1e-9) / os.cpu_count(), 1),
        "login_ms_median": round(statistics.median(logins), 1) if logins else None,
        "login_ms_max": round(max(logins), 1) if logins else None,
        "login_ms": [round(x, 1) for x in logins],
        "session_s_max": round(max(r["t_end"] - r["t_start"] for r in results), 3) if results else None,
        "status": status, "errors": errors[:10], "target": a.target, "warm": a.warm, "client": a.client,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    kind = "warm-up" if a.warm else f"run {a.run}"
    tail = (f"machine busy {rec['machine_busy_pct']:.0f}%, other cpu {rec['other_cpu_s']:.2f} s) {status}"
            + (f"  [{'; '.join(errors[:3])}]" if errors else ""))
    if login_only:
        cpu_txt = f", server cpu {srv_cpu:.2f} s ({srv_cpu * 1e3 / len(users):.1f} ms/login)" if srv_cpu is not None else ""
        print(f"  {a.label:<9} {a.proto:<10} {kind}: {len(t_logins)} simultaneous logins in {wall * 1e3:.0f} ms "
              f"(login median {rec['login_ms_median']} ms, max {rec['login_ms_max']} ms{cpu_txt}, "
              f"client cpu {rec['client_cpu_s']:.2f} s, " + tail, flush=True)
    else:
        cpu_txt = ""
        if srv_cpu is not None and ok:
            cpu_txt = (f", server cpu {srv_cpu:.2f} s ({srv_cpu * 1e6 / ok:.0f} us/msg), "
                       f"peak rss {rss / 1024:.1f} MiB (pss {pss / 1024:.1f})")
        print(f"  {a.label:<9} {a.proto:<10} {kind}: {rec['msgs_per_s']:8.1f} msg/s  ({ok}/{expected} verified in "
              f"{wall:.2f} s, client cpu {rec['client_cpu_s']:.2f} s ({rec['client_cpu_s'] * 1e6 / max(ok, 1):.0f} us/msg)"
              f"{cpu_txt}, login median {rec['login_ms_median']} ms, {rec['msgs_per_s_from_login']:.0f} msg/s from the "
              f"first login, " + tail, flush=True)
    if a.json and not a.warm:
        with open(a.json, "a") as f:
            f.write(json.dumps(rec) + "\n")
    return 0 if status == "ok" else 1


# ---- table ---------------------------------------------------------------------------

def cmd_table(a):
    runs = [json.loads(l) for l in open(a.file) if l.strip()]
    order, groups = [], {}
    for r in runs:
        k = (r["label"], r["proto"])
        if k not in groups:
            groups[k] = []
            order.append(k)
        groups[k].append(r)
    labels = list(dict.fromkeys(l for l, _ in order))
    protos = list(dict.fromkeys(p for _, p in order if p != "imap-login"))
    both = "ringpost" in labels and "dovecot" in labels

    def med(k):
        v = [r["msgs_per_s"] for r in groups.get(k, []) if r["status"] == "ok"]
        return statistics.median(v) if v else None

    def rng(k):
        v = [r["msgs_per_s"] for r in groups[k]]
        return f" ({min(v):.0f}-{max(v):.0f})" if len(v) > 1 else ""

    # server CPU of one session's login (imap-login runs): subtracted in the detail table
    login_cpu = {}
    for l in labels:
        v = [r["server_cpu_s"] / r["users"] for r in groups.get((l, "imap-login"), [])
             if r["status"] == "ok" and r["server_cpu_s"] is not None]
        if v:
            login_cpu[l] = statistics.median(v)

    shape = {"pop3": "POP3 RETR i, one at a time", "imap": "IMAP FETCH i BODY.PEEK[], one at a time",
             "imap-bulk": "IMAP FETCH 1:* BODY.PEEK[], one command"}
    if protos:
        print("| protocol / shape | " + " | ".join(f"{l} msgs/s" for l in labels)
              + (" | ratio ringpost/dovecot |" if both else " |"))
        print("|---" * (len(labels) + 1 + both) + "|")
    for p in protos:
        cells = []
        for l in labels:
            k = (l, p)
            if k not in groups:
                cells.append("-")
                continue
            m = med(k)
            bad = sum(r["status"] != "ok" for r in groups[k])
            cells.append((f"{m:.0f}" if m is not None else "FAILED") + rng(k)
                         + (f" ({bad} run(s) FAILED)" if bad and m is not None else ""))
        line = f"| {shape.get(p, p)} | " + " | ".join(cells)
        if both:
            ra, rb = med(("ringpost", p)), med(("dovecot", p))
            line += " | " + (f"{ra / rb:.2f}" if ra and rb else "n/a")
        print(line + " |")
    print()
    print("| server | protocol / shape | runs ok | server CPU us/msg | ... net of logins | client CPU us/msg "
          "| peak RSS MiB (PSS) | login ms (median, max) | msgs/s from 1st login | other CPU s/run | bytes/msg |")
    print("|---" * 11 + "|")
    for k in order:
        if k[1] == "imap-login":
            continue
        g = groups[k]
        ok = sum(r["ok"] for r in g)
        scpu = [r["server_cpu_s"] for r in g if r["server_cpu_s"] is not None]
        srv = f"{sum(scpu) * 1e6 / ok:.0f}" if scpu and ok else "n/a"
        net = "n/a"
        if scpu and ok and k[0] in login_cpu:
            net = f"{(sum(scpu) - login_cpu[k[0]] * sum(r['users'] for r in g)) * 1e6 / ok:.0f}"
        cli = f"{sum(r['client_cpu_s'] for r in g) * 1e6 / ok:.0f}" if ok else "n/a"
        rss = max(r["peak_rss_kib"] for r in g) / 1024
        pss = max(r["peak_pss_kib"] for r in g) / 1024
        lm = [r["login_ms_median"] for r in g if r["login_ms_median"] is not None]
        lx = [r["login_ms_max"] for r in g if r["login_ms_max"] is not None]
        login = f"{statistics.median(lm):.1f}, {max(lx):.1f}" if lm else "n/a"
        bpm = f"{sum(r['bytes'] for r in g) / max(sum(r['ok'] + r['bad'] for r in g), 1):.0f}"
        fl = [r.get("msgs_per_s_from_login", 0) for r in g if r["status"] == "ok"]
        fl = f"{statistics.median(fl):.0f}" if fl else "n/a"
        print(f"| {k[0]} | {k[1]} | {sum(r['status'] == 'ok' for r in g)}/{len(g)} ({ok}/{sum(r['expected'] for r in g)} msgs) "
              f"| {srv} | {net} | {cli} | {rss:.1f} ({pss:.1f}) | {login} | {fl} "
              f"| {statistics.median([r.get('other_cpu_s', 0) for r in g]):.2f} | {bpm} |")
    logins = [k for k in order if k[1] == "imap-login"]
    if logins:
        print()
        print("| server | login only: IMAP LOGIN + LOGOUT, all users at once | runs ok | wall ms | "
              "login ms (median, max) | server CPU ms per login |")
        print("|---|---|---|---|---|---|")
        for k in logins:
            g = groups[k]
            lm = [r["login_ms_median"] for r in g if r["login_ms_median"] is not None]
            lx = [r["login_ms_max"] for r in g if r["login_ms_max"] is not None]
            print(f"| {k[0]} | {g[0]['users']} sessions | {sum(r['status'] == 'ok' for r in g)}/{len(g)} "
                  f"| {statistics.median(r['wall_s'] for r in g) * 1e3:.0f} "
                  f"| {(f'{statistics.median(lm):.1f}, {max(lx):.1f}' if lm else 'n/a')} "
                  f"| {(f'{login_cpu[k[0]] * 1e3:.1f}' if k[0] in login_cpu else 'n/a')} |")
    bad = [r for r in runs if r["status"] != "ok"]
    for r in bad[:10]:
        print(f"FAILED: {r['label']} {r['proto']} run {r['run']}: {r['ok']}/{r['expected']} verified; "
              f"{'; '.join(r['errors'][:3])}")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--smtp", required=True)
    p.add_argument("--imap", required=True)
    p.add_argument("--users", type=int, default=10)
    p.add_argument("-n", "--messages", dest="n", type=int, default=1000)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--password", default=PASSWORD)
    p.add_argument("--maildirs", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--window", type=int, default=100, help="messages in flight per SMTP connection")
    p.add_argument("--seed", default="ringpost-retrieval-bench")
    r = sub.add_parser("run")
    r.add_argument("--label", required=True)
    r.add_argument("--proto", required=True, choices=["pop3", "imap", "imap-bulk", "imap-login"])
    r.add_argument("--target", required=True)
    r.add_argument("--manifest", required=True)
    r.add_argument("--password")
    r.add_argument("--server-pid", type=int)
    r.add_argument("--tree", action="store_true")
    r.add_argument("--run", type=int, default=1)
    r.add_argument("--warm", action="store_true", help="untimed warm-up pass: printed, not recorded")
    r.add_argument("--timeout", type=float, default=300)
    r.add_argument("--json")
    r.add_argument("--client", choices=["cxx", "python"], default="cxx",
                   help="cxx: the retrieval_client program (--client-bin); python: forked Python clients")
    r.add_argument("--client-bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "retrieval_client"))
    t = sub.add_parser("table")
    t.add_argument("file")
    a = ap.parse_args()
    if a.cmd == "prepare":
        cmd_prepare(a)
        return 0
    if a.cmd == "run":
        return cmd_run(a)
    return cmd_table(a)


if __name__ == "__main__":
    sys.exit(main())
