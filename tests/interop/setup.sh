#!/usr/bin/env bash
# Builds the three JOSE interop peers (see tests/interop/README.md):
#   build/interop/venv/          Python venv with the pinned deps of python/requirements.txt
#   build/interop/go-peer        Go peer (go-jose v4), from go/go.mod + go/go.sum
#   build/interop/java/peer.jar  Java peer (Nimbus JOSE+JWT), a shaded runnable jar
# Idempotent and non-interactive. Needs python3 (3.9+) with venv or pip, go, java 17 + mvn,
# and network access to PyPI, the Go module proxy and Maven Central (at setup time only:
# the built peers never use the network). Writes nothing outside build/interop/ except
# the usual per-user caches (pip, Go module/build cache, ~/.m2).
# INTEROP_BUILD_DIR overrides the output directory (the peer wrappers honour it too).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${INTEROP_BUILD_DIR:-$here/../../build/interop}"
mkdir -p "$build"
build="$(cd "$build" && pwd)"
PYTHON="${PYTHON:-python3}"

started=$SECONDS
last=$SECONDS
step() {
    if [[ -n "${stepped:-}" ]]; then printf '   (%d s)\n' $((SECONDS - last)); fi
    stepped=1
    last=$SECONDS
    printf '== %s\n' "$*"
}

# --- Python ---------------------------------------------------------------
venv="$build/venv"
req="$here/python/requirements.txt"
step "python: venv at $venv with $(basename "$req")"
if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$venv"
    # Debian's python3 lacks ensurepip unless python3-venv is installed: then make the
    # venv without pip and drive the system pip into it (pip --python, pip >= 22.3).
    if ! "$PYTHON" -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        "$PYTHON" -m venv --without-pip "$venv"
    fi
fi
venv_pip() {
    if "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        "$venv/bin/python" -m pip "$@"
    else
        "$PYTHON" -m pip --python "$venv/bin/python" "$@"
    fi
}
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    venv_pip install --quiet --no-input --disable-pip-version-check --only-binary=:all: -r "$req"
    echo "$want" >"$stamp"
else
    echo "   up to date"
fi
"$venv/bin/python" -I -c 'import jwt, cryptography; print("   PyJWT", jwt.__version__, "/ cryptography", cryptography.__version__)'

# --- Go -------------------------------------------------------------------
step "go: build $build/go-peer"
(
    cd "$here/go"
    # -mod=readonly: go.mod/go.sum are committed and must not change here.
    GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$build/go-peer" .
)
go version -m "$build/go-peer" | awk '$1 == "dep" && $2 ~ /go-jose/ {print "   " $2, $3}'

# --- Java -----------------------------------------------------------------
step "java: mvn package -> $build/java/peer.jar"
mkdir -p "$build/java"
log="$build/java/mvn.log"
if ! mvn -q -B -Dstyle.color=never -f "$here/java/pom.xml" -Dinterop.build.dir="$build" package >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: the Maven build failed (log: $log)" >&2
    exit 1
fi
sed -n 's:.*<nimbus.version>\(.*\)</nimbus.version>.*:   nimbus-jose-jwt \1:p' "$here/java/pom.xml"

step "done in $((SECONDS - started)) s; check with tests/interop/selfcheck.sh"
