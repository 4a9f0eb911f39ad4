#!/usr/bin/env python3
"""Run the ringpost integration tests.

    RINGPOST_BIN=build/ringpost python3 tests/integration/run.py [-q] [-k PATTERN] [test_module[.Class[.test]] ...]

Exits non-zero if any test fails.  On a failure the last log lines of the
servers used by that test are printed with the traceback.
"""

import argparse
import os
import signal
import sys
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
    ap.add_argument("tests", nargs="*", help="test names (module, module.Class, module.Class.test)")
    args = ap.parse_args()

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


if __name__ == "__main__":
    sys.exit(main())
