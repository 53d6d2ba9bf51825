"""Python JOSE interop peer for the posture agent's Entity Attestation Tokens.

EAT (RFC 9711) as an ES256 JWS compact JWT. All JOSE work is done by PyJWT
(with the ``cryptography`` backend): ES256-only verification, the standard
exp/iat/nbf checks with leeway, signing, and the public JWK export. PyJWT has
no RFC 7638 thumbprint function, so the thumbprint is computed here from the
JWK that PyJWT exports (it is four members and a SHA-256). See ../README.md for
the command-line contract shared with the Go and Java peers.

Exit codes: 0 valid, 1 invalid token (one-line reason on stderr), 2 usage/IO.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Any, NoReturn

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from jwt.utils import base64url_decode, base64url_encode

WANT_TYP = "eat+jwt"
LEEWAY_SECONDS = 300
EAR_TYP = "JWT"
EAR_PROFILE = "tag:github.com,2023:veraison/ear"


class UsageError(Exception):
    """Bad command line or unreadable/malformed input file (exit 2)."""


class Invalid(Exception):
    """The token does not verify (exit 1)."""


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _load_json(path: str, what: str) -> Any:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError(f"cannot read {what} file: {e}") from None
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except ValueError as e:
        raise UsageError(f"{what} file {path} is not valid JSON: {e}") from None


def read_public_jwk(path: str) -> tuple[ec.EllipticCurvePublicKey, dict[str, Any]]:
    """An EC P-256 public key from a JWK file (private members are ignored)."""
    obj = _load_json(path, "JWK")
    if not isinstance(obj, dict) or obj.get("kty") != "EC" or obj.get("crv") != "P-256":
        raise UsageError(f"JWK {path} is not an EC P-256 key")
    public = {k: obj[k] for k in ("kty", "crv", "x", "y") if k in obj}
    try:
        key = ECAlgorithm.from_jwk(public)
    except (jwt.exceptions.InvalidKeyError, ValueError, TypeError) as e:
        raise UsageError(f"cannot parse JWK {path}: {_one_line(e)}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise UsageError(f"JWK {path} is not an EC public key")
    return key, public


def read_token(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii").strip()
    except OSError as e:
        raise UsageError(f"cannot read token file: {e}") from None
    except UnicodeDecodeError:
        raise Invalid("token is not ASCII") from None


def rfc7638_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC JWK, base64url without padding."""
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest()).decode()


def verify_raw(key: ec.EllipticCurvePublicKey, token: str) -> bytes:
    """Check only the ES256 signature of a compact JWS; return its payload."""
    try:
        decoded = jwt.PyJWS().decode_complete(token, key=key, algorithms=["ES256"])
    except jwt.exceptions.PyJWTError as e:
        raise Invalid(_one_line(e) or type(e).__name__) from None
    return decoded["payload"]


def verify_eat(
    key: ec.EllipticCurvePublicKey,
    jwk: dict[str, Any],
    token: str,
    nonce: str | None,
    check_kid: bool,
) -> bytes:
    """Verify an EAT JWT; return the verified payload bytes."""
    try:
        decoded = jwt.PyJWT().decode_complete(
            token,
            key=key,
            algorithms=["ES256"],
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["exp", "iat"],
                "verify_signature": True,
                "verify_exp": True,
                "verify_iat": True,
                "verify_nbf": True,
                # The EAT carries no aud; the contract does not check one.
                "verify_aud": False,
            },
        )
    except jwt.exceptions.PyJWTError as e:
        raise Invalid(_one_line(e) or type(e).__name__) from None
    header, claims = decoded["header"], decoded["payload"]
    if header.get("typ") != WANT_TYP:
        raise Invalid(f"header typ is {header.get('typ')!r}, want {WANT_TYP!r}")
    if check_kid:
        want = rfc7638_thumbprint(jwk)
        if header.get("kid") != want:
            raise Invalid(
                f"header kid {header.get('kid')!r} is not the RFC 7638 thumbprint {want!r} of the JWK"
            )
    # PyJWT coerces with int(), which would also take "123" or true: insist on JSON numbers.
    for name in ("exp", "iat"):
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid(f"claim {name} is not a number")
    if nonce is not None:
        got = claims.get("eat_nonce")
        if not isinstance(got, str):
            raise Invalid("claim eat_nonce is missing or not a string")
        if got != nonce:
            raise Invalid("eat_nonce does not match the expected nonce")
    # The signature covered exactly these bytes: print them, not a re-encoding.
    return base64url_decode(token.split(".")[1])


def verify_ear(jwks_path: str, token: str, jkt: str | None, sub: str | None) -> bytes:
    """Verify a collector's attestation result (an EAR JWT) with the key of
    the JWK set that its header kid names, as a relying party would."""
    obj = _load_json(jwks_path, "JWK set")
    try:
        jwks = jwt.PyJWKSet.from_dict(obj)
    except (jwt.exceptions.PyJWTError, ValueError, TypeError, KeyError) as e:
        raise UsageError(f"cannot parse JWK set {jwks_path}: {_one_line(e)}") from None
    try:
        header = jwt.get_unverified_header(token)
    except jwt.exceptions.PyJWTError as e:
        raise Invalid(_one_line(e) or type(e).__name__) from None
    kid = header.get("kid")
    try:
        jwk = jwks[kid]
    except KeyError:
        raise Invalid(f"no key in the JWK set has kid {kid!r}") from None
    try:
        decoded = jwt.PyJWT().decode_complete(
            token,
            key=jwk,
            algorithms=["ES256"],
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["exp", "iat", "sub"],
                "verify_signature": True,
                "verify_exp": True,
                "verify_iat": True,
                "verify_nbf": True,
                "verify_aud": False,
            },
        )
    except jwt.exceptions.PyJWTError as e:
        raise Invalid(_one_line(e) or type(e).__name__) from None
    header, claims = decoded["header"], decoded["payload"]
    if header.get("typ") != EAR_TYP:
        raise Invalid(f"header typ is {header.get('typ')!r}, want {EAR_TYP!r}")
    if claims.get("eat_profile") != EAR_PROFILE:
        raise Invalid(f"eat_profile is {claims.get('eat_profile')!r}, want {EAR_PROFILE!r}")
    status = claims.get("submods", {}).get("posture", {}).get("ear.status")
    if status not in ("none", "affirming", "warning", "contraindicated"):
        raise Invalid(f"submods.posture ear.status is {status!r}")
    if jkt is not None and (claims.get("cnf") or {}).get("jkt") != jkt:
        raise Invalid("cnf.jkt is not the expected device key thumbprint")
    if sub is not None and claims.get("sub") != sub:
        raise Invalid("sub is not the expected device")
    return base64url_decode(token.split(".")[1])


def sign(claims_path: str, out_token: str, out_jwk: str) -> None:
    claims = _load_json(claims_path, "claims")
    if not isinstance(claims, dict):
        raise UsageError(f"claims file {claims_path} is not a JSON object")
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    if "d" in public_jwk:  # never write private material
        raise RuntimeError("exported JWK contains a private member")
    kid = rfc7638_thumbprint(public_jwk)
    token = jwt.encode(
        claims,
        private_key,
        algorithm="ES256",
        headers={"typ": WANT_TYP, "kid": kid},
    )
    public_jwk["kid"] = kid
    try:
        with open(out_token, "w", encoding="ascii") as f:
            f.write(token)
        with open(out_jwk, "w", encoding="utf-8") as f:
            f.write(json.dumps(public_jwk, separators=(",", ":")))
    except OSError as e:
        raise UsageError(f"cannot write output: {e}") from None


def _parser() -> argparse.ArgumentParser:
    p = _ArgParser(prog="peer", add_help=False, allow_abbrev=False)
    sub = p.add_subparsers(dest="cmd", parser_class=_ArgParser)
    v = sub.add_parser("verify", add_help=False, allow_abbrev=False)
    v.add_argument("--jwk", required=True)
    v.add_argument("--token", required=True)
    v.add_argument("--nonce")
    v.add_argument("--check-kid", action="store_true")
    r = sub.add_parser("verify-raw", add_help=False, allow_abbrev=False)
    r.add_argument("--jwk", required=True)
    r.add_argument("--token", required=True)
    e = sub.add_parser("verify-ear", add_help=False, allow_abbrev=False)
    e.add_argument("--jwks", required=True)
    e.add_argument("--token", required=True)
    e.add_argument("--jkt")
    e.add_argument("--sub")
    s = sub.add_parser("sign", add_help=False, allow_abbrev=False)
    s.add_argument("--claims", required=True)
    s.add_argument("--out-token", required=True)
    s.add_argument("--out-jwk", required=True)
    return p


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.cmd == "verify":
            key, jwk = read_public_jwk(args.jwk)
            token = read_token(args.token)
            payload = verify_eat(key, jwk, token, args.nonce, args.check_kid)
            sys.stdout.buffer.write(payload + b"\n")
        elif args.cmd == "verify-raw":
            key, _ = read_public_jwk(args.jwk)
            token = read_token(args.token)
            sys.stdout.buffer.write(verify_raw(key, token))
        elif args.cmd == "verify-ear":
            token = read_token(args.token)
            payload = verify_ear(args.jwks, token, args.jkt, args.sub)
            sys.stdout.buffer.write(payload + b"\n")
        elif args.cmd == "sign":
            sign(args.claims, args.out_token, args.out_jwk)
        else:
            raise UsageError("usage: peer {verify|verify-raw|verify-ear|sign} ... (see tests/interop/README.md)")
        sys.stdout.flush()
        return 0
    except Invalid as e:
        print(f"invalid: {_one_line(e)}", file=sys.stderr)
        return 1
    except UsageError as e:
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug here, not a verdict on the token
        print(f"error: internal: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
