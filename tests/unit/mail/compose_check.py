#!/usr/bin/env python3
"""Parses composed messages with Python's email package (an independent MIME
parser) and prints one JSON object per file, so compose_test.cpp asserts on
what a mail library makes of the message, not on our own string searches.

    compose_check.py FILE...

Per file: {"headers": {name: decoded value}, "defects": [...],
"parts": [{"type", "disposition", "filename", "content_id", "text" or
"data_hex"}]} for the leaf parts in order, and "structure": the content
types of the tree in depth-first order.
"""
import email
import email.policy
import json
import sys


def leaf(part):
    out = {"type": part.get_content_type(), "disposition": part.get_content_disposition(),
           "filename": part.get_filename(), "content_id": part.get("Content-ID"),
           "cte": part.get("Content-Transfer-Encoding")}
    if part.get_content_maintype() == "text":
        out["text"] = part.get_content().replace("\r\n", "\n")
    else:
        out["data_hex"] = part.get_payload(decode=True).hex()
    return out


def main():
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        defects = [type(d).__name__ for p in msg.walk() for d in p.defects]
        print(json.dumps({
            "headers": {k: str(v) for k, v in msg.items()},
            "defects": defects,
            "structure": [p.get_content_type() for p in msg.walk()],
            "parts": [leaf(p) for p in msg.walk() if not p.is_multipart()],
            "max_line": max(len(line) for line in raw.split(b"\r\n")),
            "bare_lf": raw.replace(b"\r\n", b"").count(b"\n"),
            "eight_bit": any(b >= 0x80 for b in raw),
        }))


main()
