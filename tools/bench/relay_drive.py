#!/usr/bin/env python3
"""relay_drive.py: one bounded end-to-end relay run for relay-bench.sh, and its table.

  relay_drive.py run --target 127.0.0.1:PORT --sink-out FILE [--sink-pid PID]
        --tool smtp-source|smtp-source-split --shape one|many [--domains 100]
        --sessions 100 --mode d|c -n N [--size 4096] [--timeout 300] [--stall 30]
        [--server-pid PID] [--label NAME] [--run I] [--json FILE]
  relay_drive.py table FILE.jsonl

One run: wait until the counting smtp-sink (started by relay-bench.sh, kept for
the whole benchmark; FILE is its -c output) has settled, start the load, then
  inbound   = messages the relay answered 250 to / wall time of the load
  e2e       = N / (time from load start until the sink has counted N more)
The load is Postfix's smtp-source, which sends one command per round trip and
waits for every reply (no pipelining), with -c so that every completed DATA is
counted (a failed session still tells how many it got accepted):
  smtp-source        ONE process: smtp-source [-d] -s SESSIONS -m N -l SIZE
                     -t user@sink.test (shape "one" only: smtp-source varies the
                     local part at most, never the domain)
  smtp-source-split  SESSIONS processes, each smtp-source [-d] -s 1 -m N/SESSIONS;
                     shape "one": all to user@sink.test, shape "many": process i
                     to user@d<(i mod D)+1>.sink.test, so D domains get equal shares
                     and every domain is sent to all the time.
-d = persistent sessions (mode d); without -d every message has its own
connection (mode c).

Bounded: the load is killed at --timeout; after the load ends the run gives up
when the sink count has not moved for --stall seconds ("stalled": the relay
accepted mail it does not deliver) or at --timeout from the start.
Exit status: 0 = all N arrived, 1 = anything else (status in the output).
Helpers (sink counter, process-tree RSS sampler) come from the peer kit's
smtpbench.py ($PEERS, default /work/shared/peers).
"""
import argparse, json, os, signal, statistics, subprocess, sys, time

PEERS = os.environ.get("PEERS", "/work/shared/peers")
sys.dont_write_bytecode = True   # no __pycache__ in the (shared) peer kit
sys.path.insert(0, PEERS)
try:
    import smtpbench as sb  # sink_count, wait_port, tree_pids, Sampler, find_bin, cpu_ticks
except ImportError as e:  # pragma: no cover
    sys.exit(f"relay_drive: cannot import smtpbench.py from {PEERS} ({e}); set PEERS")

CHILDREN = []


def on_signal(signum, frame):
    for c in CHILDREN:
        try:
            if c.poll() is None:
                c.kill()
        except OSError:
            pass
    sys.exit(128 + signum)


def proc_cpu_ticks(root, tree):
    """user+sys ticks of root (+ its reaped children) and, if tree, of its live descendants;
    processes that exit while we read are skipped."""
    pids = sb.tree_pids(root) if tree else [root]
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
        except OSError:
            continue
        v = st[st.rfind(")") + 2:].split()
        t = int(v[11]) + int(v[12])          # utime, stime (fields 14, 15)
        if p == root:
            t += int(v[13]) + int(v[14])     # cutime, cstime (reaped children)
        total += t
    return total


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        return st[st.rfind(")") + 2] not in "ZX"
    except OSError:
        return False


def settle(sink_out, limit=30.0):
    """wait until the sink's counter has not moved for 1 s (stragglers of the previous run)"""
    prev, end = -1, time.monotonic() + limit
    while time.monotonic() < end:
        cur = sb.sink_count(sink_out)
        if cur == prev:
            return cur
        prev = cur
        time.sleep(1)
    return sb.sink_count(sink_out)


def last_counter(path):
    """smtp-source -c writes "1\\r2\\r...N\\r": the last number"""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 64))
            tail = f.read().decode("ascii", "replace").replace("\n", "\r")
    except OSError:
        return 0
    nums = [x for x in tail.split("\r") if x.strip().isdigit()]
    return int(nums[-1]) if nums else 0


def build_commands(a, src_bin):
    """list of (argv, message_count)"""
    th, tp = a.target_hp
    common = ["-c", "-l", str(a.size), "-f", "bench@src.test", "-M", "bench.local"]
    d = ["-d"] if a.mode == "d" else []
    if a.tool == "smtp-source":
        if a.shape != "one":
            sys.exit("relay_drive: tool smtp-source sends to one recipient domain only; use smtp-source-split")
        return [([src_bin] + d + ["-s", str(a.sessions), "-m", str(a.messages)] + common
                 + ["-t", "user@sink.test", f"{th}:{tp}"], a.messages)]
    cmds = []
    base, extra = divmod(a.messages, a.sessions)
    for i in range(a.sessions):
        m = base + (1 if i < extra else 0)
        if m == 0:
            continue
        rcpt = "user@sink.test" if a.shape == "one" else f"user@d{i % a.domains + 1}.sink.test"
        cmds.append(([src_bin] + d + ["-s", "1", "-m", str(m)] + common + ["-t", rcpt, f"{th}:{tp}"], m))
    return cmds


def describe_cmds(a, cmds):
    if len(cmds) == 1:
        return " ".join(cmds[0][0])
    ms = sorted({m for _, m in cmds})
    text = f"{len(cmds)} processes in parallel, the first: " + " ".join(cmds[0][0])
    text += f" (-m {'/'.join(map(str, ms))}"
    if a.shape == "many":
        text += f"; process i sends to user@d<(i mod {a.domains})+1>.sink.test"
    return text + ")"


def run(a):
    a.target_hp = sb.hostport(a.target)
    src_bin = sb.find_bin("smtp-source")
    cmds = build_commands(a, src_bin)
    logdir = a.logdir
    os.makedirs(logdir, exist_ok=True)
    base = settle(a.sink_out)
    load0 = open("/proc/loadavg").read().split()[:3]
    samp = sb.Sampler(a.server_pid, interval=1.0) if a.server_pid else None
    if samp:
        samp.start()
    s0 = proc_cpu_ticks(a.server_pid, a.tree) if a.server_pid else 0
    m0 = sb.cpu_ticks()
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    procs = []
    for k, (argv, m) in enumerate(cmds):
        out = open(os.path.join(logdir, f"src-{a.run}-{k}.out"), "wb")
        err = open(os.path.join(logdir, f"src-{a.run}-{k}.err"), "wb")
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        out.close(); err.close()
        CHILDREN.append(p)
        procs.append(p)
    rcs, cpu, live = {}, 0.0, {p.pid: p for p in procs}
    while live and time.monotonic() < deadline:
        pid, status, ru = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.005)
            continue
        if pid in live:
            rcs[pid] = os.waitstatus_to_exitcode(status)
            cpu += ru.ru_utime + ru.ru_stime
            live.pop(pid).returncode = rcs[pid]
    timed_out = bool(live)
    for pid, p in list(live.items()):   # bounded: kill what is left of the load
        p.kill()
        _, status, ru = os.wait4(pid, 0)
        p.returncode = -9
        cpu += ru.ru_utime + ru.ru_stime
        rcs[pid] = "killed"
    t_src = time.monotonic() - t0
    s1 = proc_cpu_ticks(a.server_pid, a.tree) if a.server_pid else 0
    m1 = sb.cpu_ticks()
    accepted = sum(last_counter(os.path.join(logdir, f"src-{a.run}-{k}.out")) for k in range(len(cmds)))
    failed = sum(1 for v in rcs.values() if v != 0)
    errs = []
    for k in range(len(cmds)):
        try:
            with open(os.path.join(logdir, f"src-{a.run}-{k}.err"), "rb") as f:
                for line in f.read().decode("utf-8", "replace").splitlines():
                    if line.strip() and line not in errs:
                        errs.append(line.strip())
        except OSError:
            pass

    # wait for the sink: all N, or no progress for --stall s, or the deadline
    t_e2e, stalled, sink_died = None, False, False
    last, last_t = -1, time.monotonic()
    while True:
        got = sb.sink_count(a.sink_out) - base
        now = time.monotonic()
        if got >= a.messages:
            t_e2e = now - t0
            break
        if a.sink_pid and not alive(a.sink_pid):
            sink_died = True
            break
        if now >= deadline:
            break
        if got != last:
            last, last_t = got, now
        elif now - last_t > a.stall:
            stalled = True
            break
        time.sleep(0.02)
    got = sb.sink_count(a.sink_out) - base
    s2 = proc_cpu_ticks(a.server_pid, a.tree) if a.server_pid else 0
    m2 = sb.cpu_ticks()
    if samp:
        samp.stop_ev.set()
        samp.join()
    hz = os.sysconf("SC_CLK_TCK")

    def busy(x, y):
        dt, di = y[0] - x[0], y[1] - x[1]
        return round(100.0 * (dt - di) / dt, 1) if dt else None

    if t_e2e is not None:
        status = "ok"
    elif failed or timed_out:
        status = "source-failed" if failed else "source-timeout"
    elif sink_died:
        status = "sink-died"
    elif stalled:
        status = "stalled"
    else:
        status = "timeout"
    if status == "ok" and (failed or timed_out):
        status = "ok-but-source-failed"  # e.g. a session failed after its message was accepted
    wait_s = round(time.monotonic() - t0, 3)
    r = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(time.time() - (time.monotonic() - t0))),
        "label": a.label, "tool": a.tool, "shape": a.shape,
        "domains": a.domains if a.shape == "many" else 1, "sessions": a.sessions, "mode": a.mode,
        "messages": a.messages, "size": a.size, "run": a.run, "status": status,
        "accepted": accepted, "source_failed_processes": failed, "source_processes": len(cmds),
        "source_timed_out": timed_out,
        "source_wall_s": round(t_src, 3),
        "inbound_msgs_per_s": round(accepted / t_src, 1) if t_src > 0 else None,
        "sink_count": got, "e2e_s": round(t_e2e, 3) if t_e2e else None,
        "e2e_msgs_per_s": round(a.messages / t_e2e, 1) if t_e2e else None,
        "gave_up_after_s": None if t_e2e else wait_s, "stall_s": a.stall,
        "source_cpu_s": round(cpu, 2),
        "server_cpu_s": round((s2 - s0) / hz, 2) if a.server_pid else None,
        "server_cpu_us_per_msg": round((s2 - s0) / hz * 1e6 / got) if a.server_pid and got > 0 else None,
        "peak_rss_mib": round(samp.peak_rss / 1024, 1) if samp else None,
        "peak_pss_mib": round(samp.peak_pss / 1024, 1) if samp else None,
        "peak_procs": samp.peak_procs if samp else None,
        "cpu_busy_pct_during_source": busy(m0, m1), "cpu_busy_pct_until_sink_done": busy(m0, m2),
        "loadavg_at_start": " ".join(load0),
        "source_cmd": describe_cmds(a, cmds),
        "source_errors": errs[:3],
    }
    e2e = f"{r['e2e_msgs_per_s']} msg/s in {r['e2e_s']} s" if t_e2e else f"n/a ({status})"
    print(f"  [{a.label}] {a.tool} shape={a.shape} s={a.sessions} mode={a.mode} n={a.messages} run {a.run}: "
          f"inbound {r['inbound_msgs_per_s']} msg/s ({accepted} accepted in {r['source_wall_s']} s"
          f"{', %d load processes failed' % failed if failed else ''}{', load killed at timeout' if timed_out else ''}), "
          f"sink {got}/{a.messages}, e2e {e2e}; "
          + (f"server cpu {r['server_cpu_s']} s ({r['server_cpu_us_per_msg'] or 'n/a'} us/msg), peak rss {r['peak_rss_mib']} MiB, "
             if a.server_pid else "")
          + f"tool cpu {r['source_cpu_s']} s, "
          f"machine busy {r['cpu_busy_pct_until_sink_done']}%, load {r['loadavg_at_start']}"
          + (f" [stderr: {' | '.join(errs[:2])[:200]}]" if errs else ""), flush=True)
    if status == "stalled":
        print(f"  [{a.label}] STALLED: the relay accepted {accepted} of {a.messages} but the sink counted "
              f"{got}; no progress for {a.stall:g} s after the load ended (gave up {wait_s} s after the start)",
              flush=True)
    elif status not in ("ok",):
        print(f"  [{a.label}] NOT COMPLETE: {status}", flush=True)
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(r) + "\n")
    return 0 if status == "ok" else 1


def fmt_med(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, "n/a"
    med = statistics.median(vals)
    rng = f" ({min(vals):.0f}-{max(vals):.0f})" if len(vals) > 1 else ""
    return med, f"{med:.0f}{rng}"


def table(path):
    rows = [json.loads(x) for x in open(path) if x.strip()]
    rows = [r for r in rows if "tool" in r and "label" in r]
    keys = []
    for r in rows:
        k = (r["tool"], r["shape"], r["sessions"], r["mode"])
        if k not in keys:
            keys.append(k)
    mode_name = {"d": "persistent (-d)", "c": "1 msg/conn"}

    def cell(label, k, field="e2e_msgs_per_s"):
        rs = [r for r in rows if r["label"] == label and (r["tool"], r["shape"], r["sessions"], r["mode"]) == k]
        if not rs:
            ran = [r for r in rows if r["label"] == label]
            if any(r["sink_count"] == 0 and r["status"] != "ok" for r in ran):
                return None, "not run (an earlier run delivered nothing)", rs
            return None, "—", rs
        bad = [r for r in rs if r["status"] != "ok"]
        med, txt = fmt_med([r[field] for r in rs if r["status"] == "ok"])
        if bad:
            worst = bad[0]
            note = f"{worst['status'].upper()} ({worst['sink_count']}/{worst['messages']} delivered)"
            txt = note if med is None else f"{txt}; {len(bad)} of {len(rs)} runs {note}"
        return med, txt, rs

    print("| tool | shape | sessions | mode | ringpost msg/s | postfix msg/s | ratio | tool → smtp-sink msg/s |")
    print("|---|---|---|---|---|---|---|---|")
    for k in keys:
        rp, rp_t, _ = cell("ringpost", k)
        pf, pf_t, _ = cell("postfix", k)
        ce, ce_t, _ = cell("ceiling", k)
        ratio = f"{rp / pf:.2f}" if rp and pf else "n/a"
        shape = "one domain" if k[1] == "one" else f"{next(r['domains'] for r in rows if r['shape'] == 'many')} domains"
        print(f"| {k[0]} | {shape} | {k[2]} | {mode_name.get(k[3], k[3])} | {rp_t} | {pf_t} | {ratio} | {ce_t} |")
    if any(r["label"] == "ringpost-shaped" for r in rows):
        print()
        print("| tool | shape | mode | ringpost msg/s | ringpost with the shaping rules msg/s | shaped / unshaped |")
        print("|---|---|---|---|---|---|")
        for k in keys:
            rp, rp_t, _ = cell("ringpost", k)
            sh, sh_t, _ = cell("ringpost-shaped", k)
            ratio = f"{sh / rp:.2f}" if rp and sh else "n/a"
            print(f"| {k[0]} | {k[1]} | {mode_name.get(k[3], k[3])} | {rp_t} | {sh_t} | {ratio} |")
    print()
    print("| server | tool | shape | mode | runs | inbound msg/s | end-to-end msg/s | delivered/N | server CPU µs/msg | peak RSS MiB | status |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label in ("ringpost", "ringpost-shaped", "postfix", "ceiling"):
        for k in keys:
            _, _, rs = cell(label, k)
            if not rs:
                continue
            _, inb = fmt_med([r["inbound_msgs_per_s"] for r in rs])
            _, e2e = fmt_med([r["e2e_msgs_per_s"] for r in rs])
            _, cpu = fmt_med([r["server_cpu_us_per_msg"] for r in rs])
            _, rss = fmt_med([r["peak_rss_mib"] for r in rs])
            st = ", ".join(sorted({r["status"] for r in rs}))
            print(f"| {'smtp-sink (no relay)' if label == 'ceiling' else label} | {k[0]} | {k[1]} | {mode_name.get(k[3], k[3])} | "
                  f"{len(rs)} | {inb} | {e2e} | {sum(r['sink_count'] for r in rs)}/{sum(r['messages'] for r in rs)} | "
                  f"{cpu} | {rss} | {st} |")
    bad = [r for r in rows if r["status"] != "ok"]
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--target", required=True)
    r.add_argument("--sink-out", required=True, help="stdout of smtp-sink -c")
    r.add_argument("--sink-pid", type=int, default=0)
    r.add_argument("--tool", choices=["smtp-source", "smtp-source-split"], required=True)
    r.add_argument("--shape", choices=["one", "many"], required=True)
    r.add_argument("--domains", type=int, default=100)
    r.add_argument("--sessions", type=int, default=100)
    r.add_argument("--mode", choices=["d", "c"], required=True)
    r.add_argument("-n", "--messages", type=int, required=True)
    r.add_argument("--size", type=int, default=4096)
    r.add_argument("--timeout", type=float, default=300)
    r.add_argument("--stall", type=float, default=30)
    r.add_argument("--server-pid", type=int, default=0)
    r.add_argument("--tree", action="store_true", help="server is a process tree (Postfix)")
    r.add_argument("--label", default="")
    r.add_argument("--run", type=int, default=1)
    r.add_argument("--json")
    r.add_argument("--logdir", required=True)
    t = sub.add_parser("table")
    t.add_argument("jsonl")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if a.cmd == "table":
        return table(a.jsonl)
    if a.messages < 1 or a.sessions < 1 or a.domains < 1:
        sys.exit("relay_drive: messages, sessions and domains must be >= 1")
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
