#!/usr/bin/python3
"""Generates the DKIM verification fixtures of verifier_test.cpp with an
independent signer, dkimpy (Debian python3-dkim, python3-nacl for
Ed25519), so that ringpost's verifier is checked against signatures it did
not make itself.

  /usr/bin/python3 tests/unit/dkim/make_fixtures.py [OUTPUT_DIR]

Writes into fixtures/ (beside this script by default), replacing what is
there (new keys every run, so commit the whole directory at once):
  *.eml          the messages, CRLF line ends
  keys.txt       "NAME RECORD" per line: the TXT records, in place of DNS
  expected.txt   "FILE RESULT..." per line, one result per DKIM-Signature in
                 header order; "+limited" marks an l= that leaves body text
                 unsigned, "+testing" a t=y key.
No signature expires unless it tests x= (its x= is in 2001), so the
fixtures stay valid."""
import base64
import os
import subprocess
import sys
import time

import dkim
import nacl.signing

DOMAIN = b"example.org"
HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type"]

BASE = (b"From: Alice Example <alice@example.org>\r\n"
        b"To: Bob <bob@example.net>\r\n"
        b"Subject: A DKIM fixture\r\n"
        b"  folded onto a second line\r\n"
        b"Date: Mon, 07 Dec 2026 12:00:00 +0000\r\n"
        b"Message-ID: <fixture@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Hello Bob,\r\n"
        b"  a line   with \t runs of blanks and trailing ones \t \r\n"
        b"\r\n"
        b"caf\xc3\xa9 -- Alice\r\n"
        b"\r\n"
        b"\r\n")


def rsa_key(bits):
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % bits],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=pem,
                         check=True, capture_output=True).stdout
    return pem, base64.b64encode(der).decode()


def ed25519_key():
    sk = nacl.signing.SigningKey.generate()
    return base64.b64encode(sk.encode()), base64.b64encode(sk.verify_key.encode()).decode()


def sign(message, selector, key, algorithm=b"rsa-sha256", canon=(b"relaxed", b"relaxed"), headers=HEADERS,
         length=False, identity=None, extra_tags=(), timestamp=None):
    """The message with one more DKIM-Signature in front. extra_tags go
    into the signed field before h= (dkimpy's sign() has no x=)."""
    original = dkim.DKIM.gen_header

    def gen_header(self, fields, *args, **kwargs):
        fields = list(fields)
        if timestamp is not None:
            fields = [(k, str(timestamp).encode()) if k == b"t" else (k, v) for k, v in fields]
        at = [k for k, _ in fields].index(b"h")
        return original(self, fields[:at] + list(extra_tags) + fields[at:], *args, **kwargs)

    dkim.DKIM.gen_header = gen_header
    try:
        d = dkim.DKIM(message)
        field = d.sign(selector, DOMAIN, key, signature_algorithm=algorithm, canonicalize=canon,
                       include_headers=list(headers), length=length, identity=identity)
    finally:
        dkim.DKIM.gen_header = original
    return field + message


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    os.makedirs(out, exist_ok=True)
    rsa_pem, rsa_pub = rsa_key(2048)
    small_pem, small_pub = rsa_key(768)
    ed_seed, ed_pub = ed25519_key()
    keys = {
        "rsa._domainkey.example.org": "v=DKIM1; k=rsa; p=" + rsa_pub,
        "ed._domainkey.example.org": "v=DKIM1; k=ed25519; p=" + ed_pub,
        "small._domainkey.example.org": "v=DKIM1; k=rsa; p=" + small_pub,
        "revoked._domainkey.example.org": "v=DKIM1; k=rsa; p=",
        "sha1only._domainkey.example.org": "v=DKIM1; k=rsa; h=sha1; p=" + rsa_pub,
        "testing._domainkey.example.org": "v=DKIM1; k=rsa; t=y; p=" + rsa_pub,
        "strict._domainkey.example.org": "v=DKIM1; k=rsa; t=s; p=" + rsa_pub,
    }
    cases = []

    def case(name, message, *expected):
        cases.append((name + ".eml", message, expected))

    case("rsa_relaxed", sign(BASE, b"rsa", rsa_pem), "pass")
    case("rsa_simple", sign(BASE, b"rsa", rsa_pem, canon=(b"simple", b"simple")), "pass")
    case("rsa_relaxed_simple", sign(BASE, b"rsa", rsa_pem, canon=(b"relaxed", b"simple")), "pass")
    case("ed25519_relaxed", sign(BASE, b"ed", ed_seed, algorithm=b"ed25519-sha256"), "pass")
    case("ed25519_simple", sign(BASE, b"ed", ed_seed, algorithm=b"ed25519-sha256", canon=(b"simple", b"simple")), "pass")
    both = sign(sign(BASE, b"rsa", rsa_pem), b"ed", ed_seed, algorithm=b"ed25519-sha256")
    case("rsa_and_ed25519", both, "pass", "pass")
    signed = sign(BASE, b"rsa", rsa_pem, length=True)
    case("length_whole_body", signed, "pass")
    case("length_appended", signed + b"-- \r\nAppended by a mailing list\r\n", "pass+limited")
    relaxed = sign(BASE, b"rsa", rsa_pem)
    case("tampered_body", relaxed.replace(b"Hello Bob", b"Hello Eve"), "fail")
    case("tampered_header", relaxed.replace(b"A DKIM fixture", b"A forged subject"), "fail")
    case("added_unsigned_header", relaxed.replace(b"\r\n\r\nHello", b"\r\nX-Added: by a relay\r\n\r\nHello"), "pass")
    # Relaxed canonicalization survives a relay that refolds and re-spaces fields.
    case("refolded_header", relaxed.replace(b"Subject: A DKIM fixture\r\n  folded",
                                            b"subject:   A  DKIM fixture\r\n\tfolded"), "pass")
    case("simple_refolded_header", sign(BASE, b"rsa", rsa_pem, canon=(b"simple", b"simple")).replace(
        b"Subject: A DKIM fixture", b"Subject:  A DKIM fixture"), "fail")
    oversigned = sign(BASE, b"rsa", rsa_pem, headers=[b"from", b"from"] + HEADERS[1:])
    case("oversigned_from", oversigned, "pass")
    case("oversigned_from_added", oversigned.replace(b"To: Bob", b"From: mallory@example.com\r\nTo: Bob"), "fail")
    case("expired", sign(BASE, b"rsa", rsa_pem, timestamp=1000000000, extra_tags=[(b"x", b"1000003600")]), "neutral")
    case("rsa_sha1", sign(BASE, b"rsa", rsa_pem, algorithm=b"rsa-sha1"), "policy")
    case("rsa_sha1_tampered", sign(BASE, b"rsa", rsa_pem, algorithm=b"rsa-sha1").replace(b"Hello Bob", b"Hello Eve"),
         "fail")
    case("small_key", sign(BASE, b"small", small_pem), "policy")
    case("revoked_key", sign(BASE, b"revoked", rsa_pem), "permerror")
    case("no_key", sign(BASE, b"missing", rsa_pem), "permerror")
    case("key_hash_mismatch", sign(BASE, b"sha1only", rsa_pem), "permerror")
    case("testing_key", sign(BASE, b"testing", rsa_pem), "pass+testing")
    case("strict_key_subdomain", sign(BASE, b"strict", rsa_pem, identity=b"alice@mail.example.org"), "permerror")
    case("strict_key_same_domain", sign(BASE, b"strict", rsa_pem, identity=b"alice@example.org"), "pass")
    case("good_and_missing", sign(sign(BASE, b"rsa", rsa_pem), b"missing", rsa_pem), "permerror", "pass")

    for name, message, _ in cases:
        with open(os.path.join(out, name), "wb") as f:
            f.write(message)
    with open(os.path.join(out, "keys.txt"), "w") as f:
        for name, record in keys.items():
            f.write("%s %s\n" % (name, record))
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("# generated by make_fixtures.py on %s\n" % time.strftime("%Y-%m-%d"))
        for name, _, expected in cases:
            f.write("%s %s\n" % (name, " ".join(expected)))


main()
