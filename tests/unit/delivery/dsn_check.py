#!/usr/bin/env python3
"""Parses a delivery status notification with Python's email package and
prints what it found as key=value lines (\\, CR and LF escaped), so the C++
tests in dsn_build_test.cpp can assert on an independent parser's view of
the message rather than on our own string searches.

    dsn_check.py FILE...

With several files (one Python start for a whole test suite: starting the
interpreter per notification is slow on a loaded machine), each file's
lines are preceded by a line "@@ N" (N = 0, 1, ...).

Keys: is_multipart, content_type, report_type, boundary, header.<Name>,
parts, part<N>.type, part<N>.charset, part<N>.cte, text (part 1),
status.message.<Field>, status.rcpt<N>.<Field>, status.blocks,
original.kind (message|headers), original.header.<Name>, original.body,
defects, defect.<N>.
"""
import email
import email.policy
import sys

POLICY = email.policy.default
OUT = []


def emit(key, value):
    text = str(value).replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
    OUT.append(f"{key}={text}")


def status_blocks(part):
    """The field blocks of a (global-)delivery-status part as Messages."""
    ctype = part.get_content_type()
    if ctype == "message/delivery-status":
        # The email package splits this type into one Message per block itself.
        return list(part.get_payload())
    # message/global-delivery-status is parsed as an embedded message: its
    # headers are the first block, its body holds the remaining blocks.
    # decode=True gives the body's original bytes (a plain get_payload()
    # would replace 8-bit bytes); each block is then parsed as bytes too.
    first = part.get_payload(0)
    rest = first.get_payload(decode=True)
    blocks = [first]
    for chunk in rest.replace(b"\r\n", b"\n").split(b"\n\n"):
        if chunk.strip():
            blocks.append(email.message_from_bytes(chunk + b"\n", policy=POLICY))
    return blocks


def emit_original(part):
    ctype = part.get_content_type()
    if ctype in ("message/rfc822", "message/global"):
        inner = part.get_payload(0)
        emit("original.kind", "message")
        for name, value in inner.items():
            emit(f"original.header.{name}", value)
        body = inner.get_payload()
        if isinstance(body, str):
            emit("original.body", body)
    elif ctype == "message/global-headers":
        inner = part.get_payload(0)
        emit("original.kind", "headers")
        for name, value in inner.items():
            emit(f"original.header.{name}", value)
    elif ctype == "text/rfc822-headers":
        headers = email.message_from_string(part.get_content(), policy=POLICY)
        emit("original.kind", "headers")
        for name, value in headers.items():
            emit(f"original.header.{name}", value)
        if headers.get_payload():
            emit("original.body", headers.get_payload())


def check(path):
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=POLICY)
    emit("is_multipart", int(msg.is_multipart()))
    emit("content_type", msg.get_content_type())
    emit("report_type", msg.get_param("report-type"))
    emit("boundary", msg.get_boundary())
    for name, value in msg.items():
        emit(f"header.{name}", value)
    if msg.is_multipart():
        parts = msg.get_payload()
        emit("parts", len(parts))
        for n, part in enumerate(parts, 1):
            emit(f"part{n}.type", part.get_content_type())
            if part.get_content_charset():
                emit(f"part{n}.charset", part.get_content_charset())
            if part.get("Content-Transfer-Encoding"):
                emit(f"part{n}.cte", part["Content-Transfer-Encoding"])
        if len(parts) >= 1:
            emit("text", parts[0].get_content())
        if len(parts) >= 2:
            blocks = status_blocks(parts[1])
            emit("status.blocks", len(blocks))
            for n, block in enumerate(blocks):
                prefix = "status.message" if n == 0 else f"status.rcpt{n - 1}"
                for name, value in block.items():
                    emit(f"{prefix}.{name}", value)
        if len(parts) >= 3:
            emit_original(parts[2])
    defects = []
    for part in msg.walk():
        defects.extend(type(d).__name__ for d in part.defects)
    emit("defects", len(defects))
    for n, d in enumerate(defects):
        emit(f"defect.{n}", d)


def main():
    for n, path in enumerate(sys.argv[1:]):
        OUT.append(f"@@ {n}")
        check(path)
    # Bytes, not text: the result must be UTF-8 whatever the test's locale is.
    sys.stdout.buffer.write(("\n".join(OUT) + "\n").encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main()
