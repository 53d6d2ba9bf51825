#!/usr/bin/env bash
# Cross-checks the three JOSE interop peers (Python/PyJWT, Go/go-jose,
# Java/Nimbus) against each other and against tokens made by forge.py, which
# builds agent-shaped tokens with cryptography directly. Needs setup.sh first.
# Prints one line per check and ends with 'N passed, N failed'; exit 0 only
# when nothing failed. Scratch files go to build/interop/selfcheck/ (kept for
# inspection, replaced on the next run).
#
# Usage: tests/interop/selfcheck.sh [-v]     (-v: show each failing check's stderr in full)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${INTEROP_BUILD_DIR:-$here/../../build/interop}"
py="$build/venv/bin/python"
verbose=0
[[ "${1:-}" == "-v" ]] && verbose=1

if [[ ! -x "$py" || ! -x "$build/go-peer" || ! -f "$build/java/peer.jar" ]]; then
    echo "selfcheck: peers are not built; run tests/interop/setup.sh first" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

work="$build/selfcheck"
rm -rf "$work"
mkdir -p "$work"

forge() { "$py" -I -B "$here/forge.py" "$@"; }

langs=(python go java)
peer() { local lang=$1; shift; "$here/$lang/peer" "$@"; }

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() {
    failed=$((failed + 1))
    printf 'FAIL  %s: %s\n' "$1" "$2"
    if ((verbose)) && [[ -s "$work/err" ]]; then sed 's/^/      stderr: /' "$work/err"; fi
}

# expect CODE DESC CMD...: CMD exits CODE; exit 1 also needs a one-line reason on stderr.
expect() {
    local want=$1 desc=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    local why
    why="$(head -n 1 "$work/err" | cut -c1-200)"
    if [[ "$rc" != "$want" ]]; then
        bad "$desc" "exit $rc, want $want${why:+ ($why)}"
    elif [[ "$want" == 1 && "$(wc -l <"$work/err")" != 1 ]]; then
        bad "$desc" "exit 1 but stderr is not exactly one line"
    else
        ok "$desc"
    fi
}

# expect_claims DESC CLAIMS CMD...: CMD exits 0 and prints JSON equal to CLAIMS.
expect_claims() {
    local desc=$1 claims=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    if [[ "$rc" != 0 ]]; then
        bad "$desc" "exit $rc, want 0 ($(head -n 1 "$work/err" | cut -c1-200))"
    elif ! forge same-json "$work/out" "$claims" 2>/dev/null; then
        bad "$desc" "stdout is not the claims JSON"
    else
        ok "$desc"
    fi
}

# expect_bytes DESC FILE CMD...: CMD exits 0 and prints exactly the bytes of FILE.
expect_bytes() {
    local desc=$1 file=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    if [[ "$rc" != 0 ]]; then
        bad "$desc" "exit $rc, want 0 ($(head -n 1 "$work/err" | cut -c1-200))"
    elif ! cmp -s "$work/out" "$file"; then
        bad "$desc" "stdout differs from the expected payload"
    else
        ok "$desc"
    fi
}

start=$(date +%s)
nonce="n-$(date +%s)-$$"
forge claims --out "$work/claims.json" --nonce "$nonce" || { echo "forge failed"; exit 1; }

echo "== each peer signs; all three verify (signature, typ, exp/iat, nonce, kid)"
for s in "${langs[@]}"; do
    expect 0 "$s sign" peer "$s" sign --claims "$work/claims.json" --out-token "$work/$s.jwt" --out-jwk "$work/$s.jwk"
    if forge check-signed --token "$work/$s.jwt" --jwk "$work/$s.jwk" --claims "$work/claims.json" >"$work/order" 2>"$work/err"; then
        ok "$s token has the agent format (public JWK only, kid = RFC 7638 thumbprint; $(cat "$work/order"))"
    else
        bad "$s token has the agent format" "$(tr '\n' ';' <"$work/err")"
    fi
    for v in "${langs[@]}"; do
        expect_claims "$s signs -> $v verifies" "$work/claims.json" \
            peer "$v" verify --jwk "$work/$s.jwk" --token "$work/$s.jwt" --nonce "$nonce" --check-kid
    done
done

echo "== tampered tokens, wrong nonce, wrong key"
for s in "${langs[@]}"; do
    forge tamper payload "$work/$s.jwt" "$work/$s-payload.jwt"
    forge tamper signature "$work/$s.jwt" "$work/$s-sig.jwt"
done
for s in "${langs[@]}"; do
    for v in "${langs[@]}"; do
        expect 1 "$s token, one payload byte changed -> $v rejects" \
            peer "$v" verify --jwk "$work/$s.jwk" --token "$work/$s-payload.jwt"
        expect 1 "$s token, signature changed -> $v rejects" \
            peer "$v" verify --jwk "$work/$s.jwk" --token "$work/$s-sig.jwt"
        expect 1 "$s token, wrong nonce -> $v rejects" \
            peer "$v" verify --jwk "$work/$s.jwk" --token "$work/$s.jwt" --nonce "not-$nonce"
    done
done
for v in "${langs[@]}"; do
    other=python; [[ $v == python ]] && other=go
    expect 1 "$other token checked with another key -> $v rejects" \
        peer "$v" verify --jwk "$work/java.jwk" --token "$work/$other.jwt"
done

echo "== forged agent-shaped tokens (header in the agent's order alg, typ, kid)"
forge claims --out "$work/c-expired.json" --nonce "$nonce" --iat-offset -720 --exp-offset -420
forge claims --out "$work/c-future.json" --nonce "$nonce" --iat-offset 600 --exp-offset 900
forge claims --out "$work/c-noexp.json" --nonce "$nonce" --omit exp
forge claims --out "$work/c-noiat.json" --nonce "$nonce" --omit iat
mk() { local name=$1 claims=$2; shift 2; forge token --claims "$claims" --out-token "$work/f-$name.jwt" --out-jwk "$work/f-$name.jwk" "$@"; }
mk ok "$work/claims.json"
mk highs "$work/claims.json" --high-s
mk der "$work/claims.json" --der-sig
mk hs256 "$work/claims.json" --alg HS256
mk none "$work/claims.json" --alg none
mk typjwt "$work/claims.json" --typ JWT
mk typcase "$work/claims.json" --typ EAT+JWT
mk notyp "$work/claims.json" --typ ""
mk badkid "$work/claims.json" --kid "not-the-thumbprint"
mk expired "$work/c-expired.json"
mk future "$work/c-future.json"
mk noexp "$work/c-noexp.json"
mk noiat "$work/c-noiat.json"
for v in "${langs[@]}"; do
    # 30 s past exp or ahead of now: inside the 300 s leeway: made just before this peer's checks.
    forge claims --out "$work/c-leeway-exp.json" --nonce "$nonce" --iat-offset -330 --exp-offset -30
    forge claims --out "$work/c-leeway-iat.json" --nonce "$nonce" --iat-offset 30 --exp-offset 330
    mk leeway-exp "$work/c-leeway-exp.json"
    mk leeway-iat "$work/c-leeway-iat.json"
    f() { peer "$v" verify --jwk "$work/f-$1.jwk" --token "$work/f-$1.jwt" "${@:2}"; }
    expect_claims "$v accepts a forged agent-shaped token" "$work/claims.json" f ok --nonce "$nonce" --check-kid
    expect 0 "$v accepts a high-S signature (valid ECDSA)" f highs --nonce "$nonce"
    expect 1 "$v rejects a DER-encoded ES256 signature" f der
    expect 1 "$v rejects alg HS256 (HMAC keyed with the public JWK)" f hs256
    expect 1 "$v rejects alg none" f none
    expect 1 "$v rejects typ JWT" f typjwt
    expect 1 "$v rejects typ EAT+JWT (not exactly eat+jwt)" f typcase
    expect 1 "$v rejects a token without typ" f notyp
    expect 0 "$v ignores a wrong kid without --check-kid" f badkid
    expect 1 "$v rejects a wrong kid with --check-kid" f badkid --check-kid
    expect 1 "$v rejects exp 420 s ago (past the 300 s leeway)" f expired
    expect 0 "$v accepts exp 30 s ago (300 s leeway)" f leeway-exp
    expect 1 "$v rejects iat 600 s ahead" f future
    expect 0 "$v accepts iat 30 s ahead (300 s leeway)" f leeway-iat
    expect 1 "$v rejects a token without exp" f noexp
    expect 1 "$v rejects a token without iat" f noiat
done

echo "== RFC 7515 Appendix A.3 (ES256 example; verify-raw checks only the signature)"
forge a3 --dir "$work/a3"
for v in "${langs[@]}"; do
    expect_bytes "$v verify-raw of RFC 7515 A.3 prints its payload" "$work/a3/a3.payload" \
        peer "$v" verify-raw --jwk "$work/a3/a3.jwk" --token "$work/a3/a3.jws"
    expect 1 "$v verify-raw rejects A.3 with a changed signature" \
        peer "$v" verify-raw --jwk "$work/a3/a3.jwk" --token "$work/a3/a3-badsig.jws"
    expect 1 "$v verify (EAT rules) rejects A.3 (no typ, expired 2011)" \
        peer "$v" verify --jwk "$work/a3/a3.jwk" --token "$work/a3/a3.jws"
    expect 1 "$v verify-raw rejects alg none" \
        peer "$v" verify-raw --jwk "$work/f-none.jwk" --token "$work/f-none.jwt"
done

echo "== usage and IO errors exit 2"
for v in "${langs[@]}"; do
    expect 2 "$v with no arguments" peer "$v"
    expect 2 "$v verify without --token" peer "$v" verify --jwk "$work/go.jwk"
    expect 2 "$v verify with a missing token file" peer "$v" verify --jwk "$work/go.jwk" --token "$work/does-not-exist"
    expect 2 "$v verify with a non-JWK key file" peer "$v" verify --jwk "$work/claims.json" --token "$work/go.jwt"
    expect 2 "$v sign with a missing claims file" peer "$v" sign --claims "$work/none.json" --out-token "$work/x.jwt" --out-jwk "$work/x.jwk"
done

echo "($(($(date +%s) - start)) s)"
echo "$passed passed, $failed failed"
((failed == 0))
