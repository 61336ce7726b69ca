#!/usr/bin/env bash
# The main job on embedded defaults: the field engine, offline, captures reports from the
# fixture photos into a fresh local SQLite store and prints its queue. No network, no config.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs)" >&2
  exit 1
fi
DATA_DIR="${GRIDWALK_DATA:-$(mktemp -d)/gridwalk-demo}"
cargo build --release --locked -p gridwalk-field
./target/release/gridwalk-field --data-dir "$DATA_DIR" --fixtures fixtures demo
echo
echo "Data directory: $DATA_DIR  (inspect it with: ./target/release/gridwalk-field --data-dir $DATA_DIR outbox)"
