#!/usr/bin/env bash
# Fuzzes Gridwalk's hostile-input paths with libFuzzer on the stable toolchain.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Targets (fuzz/fuzz_targets/): jpeg (the device's photo walk, EXIF and whole pipeline),
# protocol (push JSON, envelope and report validation, edits applied and merged), geojson
# (grid import and lookups), tus (Upload-Metadata, Upload-Checksum, Upload-Offset/Length).
# SECONDS is the time per target (default 20, the bounded run the test command makes);
# a long run is e.g. `scripts/fuzz.sh 3600` (an hour a target) or `scripts/fuzz.sh 28800 jpeg`.
#
# The corpus grows in fuzz/corpus/TARGET (kept between runs, not committed), seeded from
# fuzz/seeds/TARGET and the fixtures. A crash, a panic, an input that takes longer than
# 10 s or more than 2 GiB stops the run with a non-zero exit; the input is saved in
# fuzz/artifacts/TARGET/ — fix the bug, add a regression test, and copy the input into
# fuzz/seeds/TARGET/ so every later run tries it first.
#
# libFuzzer's sanitizers need the nightly toolchain; without one the build takes cargo-fuzz's
# coverage flags (SanitizerCoverage with 8-bit counters and comparison tracing) and Rust's
# own checks (bounds, overflow in Gridwalk's crates, panics) find the bugs.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-20}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(jpeg protocol geojson tus)

export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Ccodegen-units=16"
# An explicit --target keeps the flags off build scripts and proc macros (they run on the
# host and must not need libFuzzer's symbols), as cargo-fuzz does.
HOST=$(rustc -vV | sed -n 's/^host: //p')
echo "== fuzz: build (release, SanitizerCoverage, $HOST)"
# Its own target directory (even with CARGO_TARGET_DIR set): the binaries are run from there.
cargo build --release --locked --manifest-path fuzz/Cargo.toml --bins --target "$HOST" \
  --target-dir fuzz/target

# Copies the seeds into the corpus each run (a fresh clone has no corpus yet; a seed added
# or changed since the last run is taken too).
seed() {
  local target=$1 corpus=fuzz/corpus/$1
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  local seeds=(fuzz/seeds/"$target"/*)
  if [ "$target" = jpeg ]; then
    seeds+=(fixtures/photos/orient-*.jpg fixtures/photos/no-exif.jpg fixtures/bad/*)
  fi
  for f in "${seeds[@]}"; do
    if [ -f "$f" ]; then cp "$f" "$corpus/"; fi
  done
}

for t in "${TARGETS[@]}"; do
  seed "$t"
  echo "== fuzz: $t for ${SECONDS_PER_TARGET}s"
  # -max_len 64 KiB: large enough for a small JPEG with EXIF, small enough to mutate fast.
  "fuzz/target/$HOST/release/$t" "fuzz/corpus/$t" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 2>"fuzz/artifacts/$t/last-run.log" \
    || { tail -n 60 "fuzz/artifacts/$t/last-run.log" >&2; echo "fuzz: $t failed (input in fuzz/artifacts/$t/)" >&2; exit 1; }
  grep -E '^stat::number_of_executed_units|^Done' "fuzz/artifacts/$t/last-run.log" || true
done
echo "fuzz: ${#TARGETS[@]} targets ran ${SECONDS_PER_TARGET}s each without a crash"
