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

# Debian packages the tests need: a C compiler for the bundled SQLite. The list grows with
# the sync server, the app (WebKitGTK, Xvfb) and the console (Chromium).
APT_PACKAGES=(gcc libc6-dev)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
