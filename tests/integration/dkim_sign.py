"""Signs a message with dkimpy (Debian python3-dkim), an independent signer,
for the DKIM verification tests. Run with the system python:

    /usr/bin/python3 dkim_sign.py KEY.pem SELECTOR DOMAIN < message > signed

Relaxed/relaxed, rsa-sha256, the usual header fields signed."""

import sys

import dkim


def main():
    key_path, selector, domain = sys.argv[1:4]
    with open(key_path, "rb") as f:
        key = f.read()
    message = sys.stdin.buffer.read()
    signature = dkim.sign(message, selector.encode(), domain.encode(), key,
                          canonicalize=(b"relaxed", b"relaxed"),
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    sys.stdout.buffer.write(signature + message)


if __name__ == "__main__":
    main()
