#!/usr/bin/env bash
# Schemathesis (from PyPI) against the real sync server's /openapi.json: every operation
# gets generated valid and invalid requests, with a device's token on the device routes, the
# hotline's port token on the intake routes and an operator's console session on the
# console routes (each by its security scheme), and
# no answer may be a 5xx or break its documented schema. Part of scripts/test-all.sh; bounded in examples and in time.
#
#   scripts/schemathesis.sh                 # the bounded run (about two minutes)
#   ST_MAX_EXAMPLES=200 ST_MAX_TIME=1800 scripts/schemathesis.sh   # a longer one
#
# Needs the debug binaries `cargo test --workspace` builds (target/debug/gridwalk-sync and
# gridwalk-field) and python3 with venv; installs the pinned schemathesis into
# target/schemathesis-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ST_VERSION=4.32.5
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-15}"
MAX_TIME="${ST_MAX_TIME:-150}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
for b in gridwalk-sync gridwalk-field; do
  [ -x "$BIN/$b" ] || { echo "$BIN/$b is missing: run cargo test --workspace first" >&2; exit 1; }
done

VENV="${CARGO_TARGET_DIR:-$ROOT/target}/schemathesis-venv"
# Through the venv's python (`-m`), not its scripts: a script's first line names the path
# the venv was made at, so a moved target directory would break it.
if ! "$VENV/bin/python" -m schemathesis.cli --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "== schemathesis: install $ST_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

DIR=$(mktemp -d)
CENTRE="$DIR/centre"
TABLET="$DIR/tablet"
SERVER=""
cleanup() {
  [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
S() { "$BIN/gridwalk-sync" --data-dir "$CENTRE" "$@"; }
F() { "$BIN/gridwalk-field" --data-dir "$TABLET" --fixtures fixtures "$@"; }

echo "== schemathesis: a centre with the demo fixtures, a tablet's reports and photos"
S admin load-fixtures fixtures >/dev/null
PASSWORD="schemathesis-operator-2026"
printf '%s\n' "$PASSWORD" | S admin set-password --user sunyue >/dev/null
F demo >/dev/null
DEVICE=$(F device-id)
TOKEN=$(S admin enroll-device --user lixiaoming --device "$DEVICE")
PORT_TOKEN=$(S admin port-token --user hotline12345)
S serve --listen 127.0.0.1:0 >"$DIR/server.out" 2>"$DIR/server.log" &
SERVER=$!
for _ in $(seq 1 100); do
  grep -q "^listening on " "$DIR/server.out" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
  sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$DIR/server.out")
F sync --server "$URL" --token "$TOKEN" >/dev/null
SESSION=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"login\":\"sunyue\",\"password\":\"$PASSWORD\"}" "$URL/v1/console/session" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# Each operation gets the credential its security scheme names; tus bodies
# (application/offset+octet-stream) are sent as raw bytes, as application/octet-stream is.
cat >"$DIR/hooks.py" <<'PY'
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
PY
cat >"$DIR/schemathesis.toml" <<'TOML'
hooks = "${GW_ST_HOOKS}"
[auth.openapi.device]
bearer = "${GW_DEVICE_TOKEN}"
[auth.openapi.console]
bearer = "${GW_CONSOLE_TOKEN}"
[auth.openapi.port]
bearer = "${GW_PORT_TOKEN}"
TOML

echo "== schemathesis $ST_VERSION: $URL/openapi.json, $MAX_EXAMPLES examples an operation, at most ${MAX_TIME}s"
# Signing out would end the session the other console operations run with. One worker:
# with two, Python 3.11's ast module (which hypothesis uses to describe its strategies) can
# fail in one thread while another parses ("AST constructor recursion depth mismatch",
# CPython gh-106905), a runtime error of the tool, not an answer of the server.
status=0
GW_ST_HOOKS="$DIR/hooks.py" GW_DEVICE_TOKEN="$TOKEN" GW_CONSOLE_TOKEN="$SESSION" GW_PORT_TOKEN="$PORT_TOKEN" \
  "$VENV/bin/python" -m schemathesis.cli \
  --config-file "$DIR/schemathesis.toml" run "$URL/openapi.json" \
  --checks "${ST_CHECKS:-not_a_server_error,response_schema_conformance}" \
  --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --seed 20261130 \
  --exclude-operation-id sign_out \
  --workers 1 --request-timeout 20 --no-color --warnings off || status=$?
if grep -qE 'status=5[0-9]{2}|panicked' "$DIR/server.log"; then
  echo "the server logged a 5xx or a panic:" >&2
  grep -E 'status=5[0-9]{2}|panicked' "$DIR/server.log" | head -20 >&2
  status=1
fi
exit $status
