#!/usr/bin/env python3
"""Run the ringpost integration tests.

    RINGPOST_BIN=build/ringpost python3 tests/integration/run.py [-q] [-j N] [-k PATTERN] [test_module[.Class[.test]] ...]

Exits non-zero if any test fails.  On a failure the last log lines of the
servers used by that test are printed with the traceback.

With -j N (N > 1) whole modules run in N child processes at once, the
slowest first (most of a test's time is spent waiting on servers, timers and
sockets, not on the CPU); each module's output is printed in one piece when it
ends, then a table of module times.  Every test still gets its own servers,
ports and data directories, so modules never share state.
"""

import argparse
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # no __pycache__ in the source tree

import harness  # noqa: E402


class DiagnosticResult(unittest.TextTestResult):
    """Appends the servers' log tails to each failure / error report."""

    def _exc_info_to_string(self, err, test):
        text = super()._exc_info_to_string(err, test)
        diag = getattr(test, "server_diagnostics", None)
        if callable(diag):
            try:
                d = diag()
            except Exception as e:  # never hide the real failure
                d = "(diagnostics failed: %r)" % (e,)
            if d and "----- last" not in text:
                text += "\n" + d + "\n"
        return text

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def addSuccess(self, test):
        if self.showAll:
            self.stream.write("(%.1fs) " % (time.monotonic() - self._t0))
        super().addSuccess(test)


def main():
    # meson's timeout sends SIGTERM: exit through atexit so no server is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("-k", dest="patterns", action="append", default=None,
                    help="only tests matching this substring (unittest -k)")
    ap.add_argument("-f", "--failfast", action="store_true")
    ap.add_argument("-j", "--jobs", type=int, default=1, choices=range(1, 15), metavar="N",
                    help="run this many test modules at once, each in its own process (1-14)")
    ap.add_argument("--first-slot", type=int, default=0, choices=range(0, 14), metavar="S",
                    help="port blocks from this slot on (two runs on one machine: give them disjoint slots)")
    ap.add_argument("tests", nargs="*", help="test names (module, module.Class, module.Class.test)")
    args = ap.parse_args()
    if args.first_slot + args.jobs > 15:
        ap.error("--first-slot + --jobs must stay within the 15 port blocks below the ephemeral range")
    if args.jobs > 1:
        return run_parallel(args)

    binary = harness.ringpost_bin()
    if not os.access(binary, os.X_OK):
        print("ringpost binary not found or not executable: %s (set RINGPOST_BIN)" % binary, file=sys.stderr)
        return 2
    print("ringpost integration tests: RINGPOST_BIN=%s, IPv6 %s" %
          (binary, "available" if harness.ipv6_available() else "not available"), flush=True)

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in args.patterns]
    if args.tests:
        suite = loader.loadTestsFromNames(args.tests)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)

    runner = unittest.TextTestRunner(verbosity=1 if args.quiet else 2, resultclass=DiagnosticResult,
                                     failfast=args.failfast, stream=sys.stdout)
    t0 = time.monotonic()
    result = runner.run(suite)
    print("integration suite took %.1fs" % (time.monotonic() - t0))
    harness._kill_all_live()
    return 0 if result.wasSuccessful() else 1


# Modules known to take longest (seconds of wall time under ASan, -j 6,
# 2026-12-07, on a machine also building); they start first so the run
# ends when the last short one does. Unknown modules count as short.
SLOW_FIRST = {
    "test_delivery_failures": 187, "test_node_clients": 172, "test_dkim_signing": 163, "test_imap_stall": 157,
    "test_full_disk": 143, "test_delivery_shutdown": 107, "test_queue_control": 105, "test_delivery": 105,
    "test_imap_concurrency": 97, "test_shutdown": 90, "test_admin": 88, "test_milter": 88,
    "test_delivery_misbehaving": 82, "test_delivery_8bit": 80, "test_dkim": 69, "test_events": 66,
    "test_shaping": 66, "test_delivery_tls": 66, "test_shaping_automation": 65, "test_inbound_auth": 61,
    "test_shutdown_under_load": 69, "test_retrieval_clients": 54,
}


def failure_summary(text, per_failure=30):
    """Each unittest FAIL/ERROR block of a module's output up to where the
    server diagnostics start, and the module's last lines (the totals)."""
    lines, out, keep = text.splitlines(), [], 0
    for ln in lines:
        if ln.startswith(("FAIL: ", "ERROR: ")):
            keep = per_failure
        elif ln.startswith(("----- ", "=====")):
            keep = 0
        if keep:
            out.append(ln)
            keep -= 1
    return out + lines[-4:]


def run_parallel(args):
    modules = args.tests or sorted(os.path.basename(p)[:-3]
                                   for p in glob.glob(os.path.join(HERE, "test_*.py")))
    modules.sort(key=lambda m: -SLOW_FIRST.get(m.split(".")[0], 0))
    base = [sys.executable, os.path.abspath(__file__), "-q"]
    for p in args.patterns or []:
        base += ["-k", p]
    if args.failfast:
        base.append("-f")
    pending = list(modules)
    running = {}          # Popen -> (module, start time, output file, port slot)
    results = []          # (module, seconds, returncode)
    failed_output = {}    # module -> its output, printed again at the end
    t0 = time.monotonic()
    try:
        while pending or running:
            while pending and len(running) < args.jobs:
                m = pending.pop(0)
                slot = min(set(range(args.first_slot, args.first_slot + args.jobs))
                           - {r[3] for r in running.values()})
                out = tempfile.TemporaryFile()
                env = dict(os.environ, RINGPOST_IT_SLOT=str(slot))   # harness.free_port's block
                proc = subprocess.Popen(base + [m], stdout=out, stderr=subprocess.STDOUT, env=env)
                running[proc] = (m, time.monotonic(), out, slot)
            time.sleep(0.05)
            for proc in list(running):
                # wait4 rather than poll: its rusage is the CPU time of the
                # module and of every process it reaped (servers, CLIs, peers)
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid == 0:
                    continue
                proc.returncode = os.waitstatus_to_exitcode(status)
                m, start, out, _ = running.pop(proc)
                took = time.monotonic() - start
                cpu = usage.ru_utime + usage.ru_stime
                out.seek(0)
                sys.stdout.write("===== %s (%.1fs, cpu %.1fs, %s)\n" % (m, took, cpu, "ok" if proc.returncode == 0 else
                                                              "FAILED rc=%d" % proc.returncode))
                text = out.read().decode("utf-8", "replace")
                sys.stdout.write(text)
                if proc.returncode != 0:
                    failed_output[m] = text
                sys.stdout.flush()
                out.close()
                results.append((m, took, proc.returncode, cpu))
                if proc.returncode != 0 and args.failfast:
                    pending.clear()
    finally:
        for proc in running:
            proc.kill()
    print("module times (slowest first): wall, cpu (user+sys of the module and what it ran)")
    for m, took, rc, cpu in sorted(results, key=lambda r: -r[1]):
        print("  %7.1fs %7.1fs  %s%s" % (took, cpu, m, "" if rc == 0 else "  FAILED"))
    failed = [m for m, _, rc, _ in results if rc != 0]
    # Again at the end: a CI log often keeps only its last lines, and the
    # traceback is what one needs from a failed run.
    for m in failed:
        print("===== %s failed; its failures again (the servers' diagnostics are above):" % m)
        print("\n".join(failure_summary(failed_output.get(m, ""))))
    print("integration suite took %.1fs with -j %d, cpu %.1fs; %d modules, %d failed%s" %
          (time.monotonic() - t0, args.jobs, sum(r[3] for r in results), len(results), len(failed),
           (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
