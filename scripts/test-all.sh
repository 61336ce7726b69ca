#!/usr/bin/env bash
# Runs every Gridwalk test on a fresh Debian machine; safe to run again (installs are idempotent).
# This is the README's test command and the only thing .ci/run does.
set -euo pipefail
cd "$(dirname "$0")/.."

need_cmd() { command -v "$1" >/dev/null 2>&1; }

# The Rust toolchain (cargo, rustfmt, clippy) comes with the machine; say so clearly if not.
if ! need_cmd cargo; then
  echo "cargo not found: install Rust (https://rustup.rs) with the rustfmt and clippy components" >&2
  exit 1
fi

# Debian packages the tests need: a C compiler for the bundled SQLite, PostgreSQL (server
# and client tools) for the case-store tests, Python with venv for the third-party tus
# client (tuspy, installed from PyPI by the test), and WebKitGTK with its WebDriver and Xvfb
# for the Tauri app, Chromium for the console's browser tests (driven by playwright-core),
# libvips-tools for the reference (`vipsthumbnail`) the photo benchmark and memory test run
# against, time for GNU time (`/usr/bin/time`), with which both measure peak memory,
# libjpeg-turbo-progs for `jpegtran`, which re-codes the fixture photos progressive for the
# photo check's tests, nasm for the SIMD code of the photo decoder (mozjpeg-sys builds
# libjpeg-turbo from source), g++ for libFuzzer (the fuzz targets), curl for the
# schemathesis run, and exiftool, the independent reader the EXIF GPS corpus is checked
# against.
APT_PACKAGES=(gcc g++ libc6-dev pkg-config postgresql postgresql-client python3 python3-venv
  libwebkit2gtk-4.1-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev
  webkit2gtk-driver xvfb chromium libvips-tools libjpeg-turbo-progs nasm time curl
  libimage-exiftool-perl)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# PostgreSQL for the case-store tests: use GRIDWALK_TEST_PG if given, else the local server
# (started if it is installed but down), with a database "test" and a password for TCP logins.
export GRIDWALK_TEST_PG="${GRIDWALK_TEST_PG:-postgres://postgres:gridwalk@127.0.0.1:5432/test}"
if [ "$GRIDWALK_TEST_PG" = "postgres://postgres:gridwalk@127.0.0.1:5432/test" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    for v in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
    done
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  if ! psql "$GRIDWALK_TEST_PG" -qtAc 'select 1' >/dev/null 2>&1; then
    as_postgres psql -qc "ALTER USER postgres PASSWORD 'gridwalk'"
    as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
      || as_postgres createdb test
  fi
  psql "$GRIDWALK_TEST_PG" -qtAc 'select 1' >/dev/null
fi

# The UI: its unit tests, and the build the app embeds (the app's crate needs ui/dist).
if ! need_cmd npm; then
  echo "npm not found: install Node.js 20 or newer with npm" >&2
  exit 1
fi
# tauri-driver relays WebDriver to WebKitWebDriver for the app's end-to-end test.
if ! need_cmd tauri-driver && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "== cargo install tauri-driver"
  cargo install tauri-driver --locked --version 2.1.0
fi

echo "== ui: npm ci, vitest, vite build"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm test && npm run build)

echo "== cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
# Every bench binary, with tiny sizes: each part still runs, so a bench that no longer
# works fails here instead of on the day someone wants figures (which these runs are not).
# Through `cargo test`, which built the bench binaries above with the test profile: the
# figures of a quick run mean nothing anyway, and a release build of the whole workspace
# would add a quarter of an hour to every run. The real runs are `cargo bench` (README).
echo "== benchmarks, quick (GRIDWALK_BENCH_QUICK=1, test profile)"
GRIDWALK_BENCH_QUICK=1 cargo test --workspace --locked \
  --bench field --bench intake --bench drain --bench hostile --bench upload_memory \
  --bench queues
# Every fuzz target for 15 s (fuzz/, a release build of its own with coverage flags): a
# target that no longer builds, or any seed that crashes it, fails here; a short run also
# finds the shallow bugs. The long runs are by hand (README, "Hostile input, exercised").
echo "== fuzz targets, bounded (15 s each)"
./scripts/fuzz.sh 15
# Schemathesis against /openapi.json of the real server (the debug binary cargo test built):
# generated requests on every operation, bounded in examples and time, and no 5xx.
echo "== schemathesis against /openapi.json (bounded; no 5xx)"
./scripts/schemathesis.sh
# The binaries it drives are the ones `cargo test --workspace` built (same features: a
# `cargo build -p …` here would compile the engine and the server a second time).
echo "== console in Chromium (playwright-core) against the real server and field engines"
(cd ui && npm run e2e)
