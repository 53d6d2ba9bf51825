"""Test-token workshop for selfcheck.sh (not a peer).

Makes claims files, agent-shaped ES256 tokens with arbitrary headers and
deliberate defects, tampered copies, the RFC 7515 Appendix A.3 vector, and
checks that a peer's `sign` output has the agent's token format. It signs
with `cryptography` directly (not PyJWT), so it is a fourth, independent
implementation of the format: header members in the agent's order
{"alg","typ","kid"}, raw r||s signature, RFC 7638 kid.

Runs under build/interop/venv/bin/python. Exit 0 ok, 1 check failed, 2 usage.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
PROFILE = "tag:posture-agent.dev,2026:eat/v1"

# RFC 7515 Appendix A.3: ES256 example (public part of the A.3 key, the JWS, its payload).
A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
A3_JWS = (
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)
A3_PAYLOAD = b'{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}'


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact_json(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def thumbprint(jwk: dict) -> str:
    canonical = compact_json({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]})
    return b64u(hashlib.sha256(canonical).digest())


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict:
    nums = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64u(nums.x.to_bytes(32, "big")), "y": b64u(nums.y.to_bytes(32, "big"))}


def cmd_claims(a: argparse.Namespace) -> int:
    now = int(time.time())
    claims = {
        "eat_nonce": a.nonce,
        "iat": now + a.iat_offset,
        "exp": now + a.exp_offset,
        "jti": secrets.token_hex(16),
        "eat_profile": PROFILE,
        "sub": b64u(secrets.token_bytes(16)),
        "swname": "posture-agent",
        "swversion": ["0.1.0"],
        "posture": {
            "os": {"family": "linux", "version": {"state": "observed", "value": "12"}},
            "disk_encryption": {"state": "unknown", "reason": "no graphical session"},
            "score": 0.5,
            "flags": [True, False, None],
            "name": "caf\u00e9 \u2713",
        },
        "verdict": {"compliant": False, "failures": ["disk_encryption"], "warnings": []},
    }
    for name in a.omit or []:
        claims.pop(name, None)
    Path(a.out).write_bytes(compact_json(claims))
    return 0


def cmd_token(a: argparse.Namespace) -> int:
    claims_bytes = compact_json(json.loads(Path(a.claims).read_bytes()))
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key)
    kid = a.kid if a.kid is not None else thumbprint(jwk)
    header = {"alg": a.alg, "typ": a.typ, "kid": kid}
    if a.typ == "":
        del header["typ"]
    signing_input = (b64u(compact_json(header)) + "." + b64u(claims_bytes)).encode("ascii")
    jwk_text = compact_json({**jwk, "kid": thumbprint(jwk)})
    if a.alg == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        if a.high_s and s <= P256_N // 2:
            s = P256_N - s  # (r, n - s) is the same ECDSA signature, "high-S" form
        if a.der_sig:
            sig = encode_dss_signature(r, s)
        else:
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif a.alg == "HS256":
        # Key confusion: HMAC keyed with the public JWK text the verifier holds.
        sig = hmac.new(jwk_text, signing_input, hashlib.sha256).digest()
    elif a.alg == "none":
        sig = b""
    else:
        print(f"unsupported alg {a.alg}", file=sys.stderr)
        return 2
    Path(a.out_token).write_text(signing_input.decode("ascii") + "." + b64u(sig))
    Path(a.out_jwk).write_bytes(jwk_text)
    return 0


def cmd_tamper(a: argparse.Namespace) -> int:
    h, p, s = Path(a.inp).read_text().strip().split(".")
    if a.part == "payload":
        raw = bytearray(unb64u(p))
        # Change one byte inside the eat_nonce value, keeping the JSON valid.
        at = raw.index(b'"eat_nonce":"') + len(b'"eat_nonce":"')
        raw[at] = ord("A") if raw[at] != ord("A") else ord("B")
        p = b64u(bytes(raw))
    else:
        raw = bytearray(unb64u(s))
        raw[10] ^= 0x01
        s = b64u(bytes(raw))
    Path(a.out).write_text(f"{h}.{p}.{s}")
    return 0


def cmd_check_signed(a: argparse.Namespace) -> int:
    """A peer's `sign` output has the agent's format and carries the claims unchanged."""
    problems = []
    token = Path(a.token).read_text()
    if token != token.strip():
        problems.append("token file has surrounding whitespace")
    parts = token.strip().split(".")
    if len(parts) != 3:
        print("token is not three dot-separated parts", file=sys.stderr)
        return 1
    for i, part in enumerate(parts):
        if "=" in part or not all(c.isalnum() or c in "-_" for c in part):
            problems.append(f"part {i} is not base64url without padding")
    jwk = json.loads(Path(a.jwk).read_bytes())
    private = sorted(set(jwk) & {"d", "p", "q", "dp", "dq", "qi", "k"})
    if private:
        problems.append(f"JWK has private members {private}")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        problems.append("JWK is not kty EC, crv P-256")
    for c in ("x", "y"):
        if len(unb64u(jwk.get(c, ""))) != 32:
            problems.append(f"JWK {c} is not 32 bytes")
    header = json.loads(unb64u(parts[0]))
    want = {"alg": "ES256", "typ": "eat+jwt", "kid": thumbprint(jwk)}
    if header != want:
        problems.append(f"header {header} != {want}")
    if "kid" in jwk and jwk["kid"] != want["kid"]:
        problems.append("JWK kid is not its RFC 7638 thumbprint")
    if len(unb64u(parts[2])) != 64:
        problems.append("signature is not 64 bytes (raw r||s)")
    claims = json.loads(Path(a.claims).read_bytes())
    if json.loads(unb64u(parts[1])) != claims:
        problems.append("payload differs from the claims file")
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"header order: {list(header)}")
    return 1 if problems else 0


def cmd_same_json(a: argparse.Namespace) -> int:
    try:
        left = json.loads(Path(a.left).read_bytes())
        right = json.loads(Path(a.right).read_bytes())
    except ValueError as e:
        print(f"not JSON: {e}", file=sys.stderr)
        return 1
    if left != right:
        print("JSON differs", file=sys.stderr)
        return 1
    return 0


def cmd_a3(a: argparse.Namespace) -> int:
    d = Path(a.dir)
    d.mkdir(parents=True, exist_ok=True)
    assert unb64u(A3_JWS.split(".")[1]) == A3_PAYLOAD
    (d / "a3.jwk").write_bytes(compact_json(A3_JWK))
    (d / "a3.jws").write_text(A3_JWS)
    (d / "a3.payload").write_bytes(A3_PAYLOAD)
    h, p, s = A3_JWS.split(".")
    sig = bytearray(unb64u(s))
    sig[0] ^= 0x80
    (d / "a3-badsig.jws").write_text(f"{h}.{p}.{b64u(bytes(sig))}")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="forge")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("claims")
    c.add_argument("--out", required=True)
    c.add_argument("--nonce", default="n-" + secrets.token_hex(8))
    c.add_argument("--iat-offset", type=int, default=0)
    c.add_argument("--exp-offset", type=int, default=300)
    c.add_argument("--omit", action="append")
    t = sub.add_parser("token")
    t.add_argument("--claims", required=True)
    t.add_argument("--out-token", required=True)
    t.add_argument("--out-jwk", required=True)
    t.add_argument("--alg", default="ES256")
    t.add_argument("--typ", default="eat+jwt")
    t.add_argument("--kid")
    t.add_argument("--high-s", action="store_true")
    t.add_argument("--der-sig", action="store_true")
    m = sub.add_parser("tamper")
    m.add_argument("part", choices=["payload", "signature"])
    m.add_argument("inp")
    m.add_argument("out")
    k = sub.add_parser("check-signed")
    k.add_argument("--token", required=True)
    k.add_argument("--jwk", required=True)
    k.add_argument("--claims", required=True)
    j = sub.add_parser("same-json")
    j.add_argument("left")
    j.add_argument("right")
    r = sub.add_parser("a3")
    r.add_argument("--dir", required=True)
    a = ap.parse_args(argv)
    return {
        "claims": cmd_claims,
        "token": cmd_token,
        "tamper": cmd_tamper,
        "check-signed": cmd_check_signed,
        "same-json": cmd_same_json,
        "a3": cmd_a3,
    }[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
