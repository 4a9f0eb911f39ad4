"""Checks SPF with pyspf (Debian python3-spf), an independent implementation,
asking the given DNS server (dnsmasq on loopback). Run with the system python:

    /usr/bin/python3 spf_check.py 127.0.0.1:5353 < cases.json

stdin: a JSON list of [client ip, MAIL FROM ("" = null sender), HELO];
stdout: a JSON list of pyspf's results ("pass", "fail", ...), in order."""

import json
import sys

import dns.resolver
import spf


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    dns.resolver.default_resolver = resolver   # pyspf asks dns.resolver's default
    results = []
    for ip, sender, helo in json.load(sys.stdin):
        result, _explanation = spf.check2(i=ip, s=sender, h=helo, timeout=10)
        results.append(result)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
