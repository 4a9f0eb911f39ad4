#!/usr/bin/python3
"""Independent DKIM verification for the unit tests: dkimpy (Debian
python3-dkim, python3-nacl for Ed25519) checks every DKIM-Signature of each
message, with the key records given on the command line instead of DNS.

  verify.py NAME=RECORD ... -- MESSAGE_FILE ...
Prints one line per signature, "<message index> <signature index>
pass|fail <d=> <a=>", then one line "<message index> ok|bad"."""
import sys

import dkim


def verify_message(message, dnsfunc):
    d = dkim.DKIM(message)
    count = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
    results = []
    for i in range(count):
        passed = d.verify(idx=i, dnsfunc=dnsfunc)
        sig = getattr(d, "signature_fields", {}) or {}
        results.append((passed, sig.get(b"d", b"?").decode(), sig.get(b"a", b"?").decode()))
    return results


def main():
    split = sys.argv.index("--")
    records = {}
    for arg in sys.argv[1:split]:
        name, record = arg.split("=", 1)
        records[name.encode()] = record.encode()

    def dnsfunc(name, timeout=5):
        return records.get(name.rstrip(b"."))

    for m, path in enumerate(sys.argv[split + 1:]):
        results = verify_message(open(path, "rb").read(), dnsfunc)
        for i, (passed, d, a) in enumerate(results):
            print(m, i, "pass" if passed else "fail", d, a)
        print(m, "ok" if results and all(r[0] for r in results) else "bad")


main()
