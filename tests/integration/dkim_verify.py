"""Verifies every DKIM-Signature of messages with dkimpy (Debian python3-dkim),
looking the keys up in DNS at the given server (dnsmasq on loopback), the
way a receiving mailbox provider does. Run with the system python:

    /usr/bin/python3 dkim_verify.py 127.0.0.1:5353 message1.eml ...

Prints one JSON list per message: [{"d": ..., "s": ..., "a": ..., "ok": bool}]
in signature order."""

import json
import logging
import sys

import dkim
import dns.resolver


class Collect(logging.Handler):
    """dkimpy says why a signature fails only in its debug log."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        try:
            answer = resolver.resolve(name, "TXT", lifetime=timeout)
        except Exception:
            return None
        return b"".join(b"".join(r.strings) for r in answer)

    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            msg = f.read()
        log = logging.getLogger("dkim-verify")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        collect = Collect()
        log.handlers = [collect]
        d = dkim.DKIM(msg, logger=log)
        results = []
        why = ""
        n = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
        for i in range(n):
            d.signature_fields = {}
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
            except dkim.DKIMException as e:
                ok, why = False, str(e)
            if not ok and not why:
                why = "; ".join(l for l in collect.lines if not l.startswith(("sig:", "bh:")))[-500:]
            collect.lines.clear()
            tags = d.signature_fields or {}
            results.append({"d": tags.get(b"d", b"").decode(), "s": tags.get(b"s", b"").decode(),
                            "a": tags.get(b"a", b"").decode(), "h": tags.get(b"h", b"").decode(), "ok": bool(ok), "why": why})
            why = ""
        print(json.dumps(results))


main()
