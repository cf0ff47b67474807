#!/usr/bin/env python3
"""Writes testdata/proof-vectors.json: test vectors for navette's proofs.

An implementation independent of navette's Go code (Python 3 standard library
only; Ed25519 signing is RFC 8032's reference algorithm, section 6) of what
docs/proofs.md describes: the Merkle leaf of a journal event, the RFC 6962
tree and its inclusion proofs, the C2SP checkpoint signed as a note, the
claims document and a complete receipt.

    python3 testdata/proof-vectors.py > testdata/proof-vectors.json

The Go tests (package receipt, and the journal's own tests) read the file and
check that navette computes the same bytes.
"""

import base64
import datetime
import hashlib
import json
import struct
import sys

# --- Ed25519 (RFC 8032, section 6) -----------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493


def inv(x):
    return pow(x, P - 2, P)


D = -121665 * inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * inv(D * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


G_Y = 4 * inv(5) % P
G_X = recover_x(G_Y, 0)
G = (G_X, G_Y, 1, G_X * G_Y % P)


def point_add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % P
    B = (a[1] + a[0]) * (b[1] + b[0]) % P
    C = 2 * a[3] * b[3] * D % P
    DD = 2 * a[2] * b[2] % P
    E, F, GG, H = B - A, DD - C, DD + C, B + A
    return (E * F, GG * H, F * GG, E * H)


def point_mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = point_add(q, pt)
        pt = point_add(pt, pt)
        s >>= 1
    return q


def point_compress(pt):
    zinv = inv(pt[2])
    x = pt[0] * zinv % P
    y = pt[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def secret_expand(secret):
    h = hashlib.sha512(secret).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(secret):
    a, _ = secret_expand(secret)
    return point_compress(point_mul(a, G))


def ed25519_sign(secret, msg):
    a, prefix = secret_expand(secret)
    pub = point_compress(point_mul(a, G))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % L
    R = point_compress(point_mul(r, G))
    h = int.from_bytes(hashlib.sha512(R + pub + msg).digest(), "little") % L
    s = (r + h * a) % L
    return R + int.to_bytes(s, 32, "little")


# RFC 8032 section 7.1, test 1: the implementation above must reproduce it.
_sk = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
assert ed25519_public(_sk).hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
assert ed25519_sign(_sk, b"").hex() == (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

# --- The leaf (docs/proofs.md, "The leaf") ---------------------------------

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def unix_micro(t):
    dt = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def leaf_bytes(e):
    b = b"navette event v1\x00"
    b += struct.pack(">q", unix_micro(e["time"]))
    b += struct.pack(">q", e["size"])
    for f in (e["type"].encode(), e["actor_id"].encode(), e["deposit_id"].encode(), e["file_id"].encode(),
              bytes.fromhex(e["sha256"]), e["detail"].encode(), bytes.fromhex(e["claims_sha256"])):
        b += struct.pack(">I", len(f)) + f
    return b


# --- The tree (RFC 6962, section 2.1) --------------------------------------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = split(len(hashes))
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def path(m, hashes):
    if len(hashes) == 1:
        return []
    k = split(len(hashes))
    if m < k:
        return path(m, hashes[:k]) + [mth(hashes[k:])]
    return path(m - k, hashes[k:]) + [mth(hashes[:k])]


def check_inclusion(index, size, leaf, proof, root):
    """RFC 9162, section 2.1.3.2, as docs/proofs.md states it."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- JSON as navette writes it (compact, UTF-8, no HTML escaping) ----------

def dumps(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def b64(b):
    return base64.b64encode(b).decode()


# --- The vectors ------------------------------------------------------------

DEPOSIT = "gopdwntooptdpqgfujbiol2ug5a5c2wf"
SENDER = "ahrfhdgkqbbjgg7vuct5j44htls4drn5"
LAWYER = "yptd6p6yiatf6m6wesbtakrrtiwcm33x"
FILE = "drt3klzukui65cfjpt2t7qje7ppszypd"
FILE_SHA = hashlib.sha256(b"hello").hexdigest()

CLAIMS_DEPOSITED = dumps({
    "v": 1, "salt": b64(bytes(range(16))), "kind": "deposited",
    "deposit": {"id": DEPOSIT, "reference": "RG 24/01234 — «Durand c. Société X» & <autres>",
                "created_at": "2026-11-02T08:59:00.000000Z", "expires_at": "2026-12-02T08:59:00.000000Z", "retention_days": 30},
    "sender": {"id": SENDER, "name": "Greffe du tribunal judiciaire", "email": "greffe@justice.example", "org": "TJ Paris"},
    "recipients": [{"id": LAWYER, "name": "Maître Élodie Durand", "email": "e.durand@avocats.example", "kind": "person"}],
    "files": [{"id": FILE, "name": "conclusions.pdf", "size": 1073741824, "sha256": FILE_SHA, "check": "clean"}],
    "antivirus": "ClamAV 1.4.6/27000/Thu Dec  4 09:21:01 2026",
})

CLAIMS_DOWNLOADED = dumps({
    "v": 1, "salt": b64(bytes(range(16, 32))), "kind": "downloaded",
    "deposit": {"id": DEPOSIT, "reference": "RG 24/01234 — «Durand c. Société X» & <autres>"},
    "sender": {"id": SENDER, "name": "Greffe du tribunal judiciaire", "email": "greffe@justice.example", "org": "TJ Paris"},
    "by": {"id": LAWYER, "name": "Maître Élodie Durand", "email": "e.durand@avocats.example",
           "auth": {"method": "oidc", "at": "2026-11-02T09:04:12.500000Z"}},
    "for": {"id": LAWYER, "name": "Maître Élodie Durand", "email": "e.durand@avocats.example", "kind": "person"},
    "file": {"id": FILE, "name": "conclusions.pdf", "size": 1073741824, "sha256": FILE_SHA},
})

CLAIMS_NOTIFIED = dumps({
    "v": 1, "salt": b64(bytes(range(32, 48))), "kind": "notified",
    "deposit": {"id": DEPOSIT},
    "notice": {"to": "e.durand@avocats.example", "message_id": "<n1.a@navette.example>", "accepted_at": "2026-11-02T09:00:01.000000Z"},
})


def sha_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


def event(time, type_, actor="", deposit="", file="", size=0, sha="", detail="", claims=None):
    return {"time": time, "type": type_, "actor_id": actor, "deposit_id": deposit, "file_id": file, "size": size,
            "sha256": sha, "detail": detail, "claims_sha256": sha_hex(claims) if claims else ""}, claims


EVENTS = [
    # a deposit with its claims document
    event("2026-11-02T09:00:00.000001Z", "deposit.submitted", SENDER, DEPOSIT, claims=CLAIMS_DEPOSITED),
    # every string empty but the type and detail; a time before 1970 (negative microseconds)
    event("1969-07-20T20:17:40.000001Z", "settings.changed", detail="max_file_size=2097152 max_files=0"),
    # a negative size (the edge of the two's complement encoding)
    event("2026-11-02T09:00:00.500000Z", "file.stored", SENDER, DEPOSIT, FILE, -1, FILE_SHA),
    # the download the receipt below is about
    event("2026-11-02T09:05:30.250000Z", "file.downloaded", LAWYER, DEPOSIT, FILE, 1073741824, FILE_SHA, claims=CLAIMS_DOWNLOADED),
    # all fields empty but the type, at the epoch
    event("1970-01-01T00:00:00.000000Z", "deposit.opened"),
    # a notice accepted by the mail server
    event("2026-11-02T09:00:01.000000Z", "notice.sent", "", DEPOSIT, detail="available " + LAWYER + " n1", claims=CLAIMS_NOTIFIED),
    # the largest size
    event("2027-11-02T09:00:00.999999Z", "deposit.purged", "", DEPOSIT, size=2**63 - 1),
]

ORIGIN = "navette.example/navette-journal"
SEED = hashlib.sha256(b"navette proof vectors: test key, never use it").digest()


def main():
    leaves = []
    hashes = []
    for e, claims in EVENTS:
        lb = leaf_bytes(e)
        h = leaf_hash(lb)
        hashes.append(h)
        v = {"event": e, "leaf": lb.hex(), "leaf_hash": h.hex()}
        if claims:
            v["claims"] = claims
        leaves.append(v)

    roots = [{"size": n, "root": mth(hashes[:n]).hex()} for n in range(1, len(hashes) + 1)]
    size = len(hashes)
    proofs = [{"index": i, "tree_size": size, "hashes": [h.hex() for h in path(i, hashes)]} for i in (3, 6)]
    proofs.append({"index": 0, "tree_size": 1, "hashes": []})
    for n in range(1, size + 1):
        for i in range(n):
            assert check_inclusion(i, n, hashes[i], path(i, hashes[:n]), mth(hashes[:n]))
            assert not check_inclusion(i, n, hashes[(i + 1) % n], path(i, hashes[:n]), mth(hashes[:n])) or n == 1

    # The signed checkpoint (C2SP tlog-checkpoint, C2SP signed-note).
    pub = ed25519_public(SEED)
    key = b"\x01" + pub
    key_hash = hashlib.sha256(ORIGIN.encode() + b"\n" + key).digest()[:4]
    verifier_key = "%s+%s+%s" % (ORIGIN, key_hash.hex(), b64(key))
    body = "%s\n%d\n%s\n" % (ORIGIN, size, b64(mth(hashes)))
    sig = ed25519_sign(SEED, body.encode())
    note = body + "\n" + "\u2014 " + ORIGIN + " " + b64(key_hash + sig) + "\n"

    # A complete receipt of event 3, disclosing its claims, dated by the server's clock.
    e, claims = EVENTS[3]
    receipt = dumps({
        "format": "navette-receipt/v1",
        "id": "rcpt-vector-1",
        "kind": "downloaded",
        "deposit_id": e["deposit_id"],
        "issued_at": "2026-11-02T09:06:00.000000Z",
        "event": dict({"index": 3}, **e),
        "claims": claims,
        "inclusion": {"tree_size": size, "hashes": [b64(h) for h in path(3, hashes)]},
        "checkpoint": note,
        "time_source": "server-clock",
    })

    out = {
        "construction": "docs/proofs.md",
        "generator": "testdata/proof-vectors.py",
        "leaves": leaves,
        "roots": roots,
        "inclusion": proofs,
        "checkpoint": {
            "origin": ORIGIN,
            "tree_size": size,
            "seed": SEED.hex(),
            "verifier_key": verifier_key,
            "body": body,
            "note": note,
        },
        "receipt": receipt,
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
