#!/usr/bin/env python3
"""idle_rss.py: memory per idle session of ringpost, for SMTP, POP3 and IMAP.

Per protocol, a fresh `ringpost serve` on loopback ports (a temporary data
directory and config with the connection limits raised; fresh, so memory
freed by the previous protocol's sessions does not hide this one's):
samples the server's VmRSS, opens N sessions that each read the greeting
and send one command (SMTP: EHLO, POP3: CAPA, IMAP: CAPABILITY) and read
its answer, so each session has been through one read and one reply,
holds them, samples VmRSS again, and reports (after - before) / N as KiB
per idle session.

usage: idle_rss.py --bin build/ringpost [--sessions 2000] [--protos smtp pop3 imap]
Loopback only; N is capped at 10000 and every socket operation has a timeout.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "smtp": (b"EHLO idle.example\r\n", lambda buf: b"\r\n250 " in buf or buf.startswith(b"250 ")),
    "pop3": (b"CAPA\r\n", lambda buf: b"\r\n.\r\n" in buf),
    "imap": (b"a CAPABILITY\r\n", lambda buf: b"a OK" in buf),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_until(sock, done, limit=5.0):
    buf = b""
    deadline = time.time() + limit
    while not done(buf):
        if time.time() > deadline:
            raise TimeoutError("no answer")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def open_sessions(port, proto, n):
    command, answered = COMMANDS[proto]
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        read_until(s, lambda b: b"\r\n" in b)   # the greeting
        s.sendall(command)
        read_until(s, answered)
        socks.append(s)
    return socks


def start_server(binary, n):
    ports = {p: free_port() for p in ("smtp", "pop3", "imap")}
    tmp = tempfile.mkdtemp(prefix="rp-idle-rss-")
    limits = f"max_connections = {n + 100}\nmax_connections_per_ip = {n + 100}\n"
    config = os.path.join(tmp, "ringpost.toml")
    with open(config, "w") as f:
        f.write(f'hostname = "idle.bench.local"\ndata_dir = "{tmp}/data"\nadmin_socket = "{tmp}/admin.sock"\n\n'
                f'[smtp]\nlisten = ["127.0.0.1:{ports["smtp"]}"]\n{limits}\n'
                f'[pop3]\nlisten = ["127.0.0.1:{ports["pop3"]}"]\n{limits}\n'
                f'[imap]\nlisten = ["127.0.0.1:{ports["imap"]}"]\n{limits}\n'
                '[relay]\nlocal_domains = ["localhost"]\n\n[delivery]\ndns_servers = ["127.0.0.1:9"]\n\n'
                '[log]\nlevel = "warn"\n')
    log = open(os.path.join(tmp, "ringpost.log"), "w")
    server = subprocess.Popen([binary, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    for p in ports.values():
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", p), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    stop_server(server, tmp)
                    sys.exit(f"idle_rss: ringpost did not listen on {p}")
                time.sleep(0.1)
    time.sleep(1)
    return server, tmp, ports


def stop_server(server, tmp):
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--protos", nargs="+", default=["smtp", "pop3", "imap"], choices=sorted(COMMANDS))
    args = ap.parse_args()
    n = max(1, min(args.sessions, 10000))
    print(f"{'proto':5} {'sessions':>8} {'before KiB':>10} {'after KiB':>10} {'KiB/session':>11}")
    for proto in args.protos:
        server, tmp, ports = start_server(args.bin, n)
        socks = []
        try:
            before = rss_kib(server.pid)
            socks = open_sessions(ports[proto], proto, n)
            time.sleep(1)
            after = rss_kib(server.pid)
            print(f"{proto:5} {n:8d} {before:10d} {after:10d} {(after - before) / n:11.2f}", flush=True)
        finally:
            for s in socks:
                s.close()
            stop_server(server, tmp)


if __name__ == "__main__":
    main()
