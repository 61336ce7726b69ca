#!/usr/bin/env bash
# Reads every JPEG under DIR with the engine (`gridwalk-field photo inspect`) and with
# exiftool, and compares the GPS position each finds. For public EXIF sample collections
# (e.g. a checkout of github.com/ianare/exif-samples), which are not copied into this
# repository: their photos carry their own licences. Needs exiftool
# (Debian: libimage-exiftool-perl) and python3.
#
#   scripts/exif-samples.sh ~/exif-samples/jpg
#
# Prints one line per photo with a position (AGREE or DIFFER, both readings) and a count;
# exits 1 when any photo differs.
set -euo pipefail
dir="${1:?usage: scripts/exif-samples.sh DIR}"
cd "$(dirname "$0")/.."
cargo build -q -p gridwalk-field --bin gridwalk-field
bin="$PWD/target/debug/gridwalk-field"
differ=0 agree=0 none=0 refused=0
while IFS= read -r -d '' f; do
  tool=$(exiftool -n -p '$GPSLatitude $GPSLongitude' "$f" 2>/dev/null || true)
  ours=$("$bin" photo inspect "$f" 2>/dev/null \
    | python3 -c 'import json,sys; g=json.load(sys.stdin)["exif"]["gps"]; print("%r %r" % (g["lat"], g["lon"]) if g else "")' \
    2>/dev/null || echo "unreadable")
  if [ -z "$tool" ] && [ -z "$ours" ]; then none=$((none + 1)); continue; fi
  if [ -z "$tool" ] && [ "$ours" = unreadable ]; then
    refused=$((refused + 1)); echo "REFUSED $f  (no position; the engine refuses the file)"; continue
  fi
  if python3 - "$tool" "$ours" <<'PY'
import sys
a, b = sys.argv[1].split(), sys.argv[2].split()
ok = len(a) == 2 and len(b) == 2 and all(abs(float(x) - float(y)) < 1e-6 for x, y in zip(a, b))
sys.exit(0 if ok else 1)
PY
  then agree=$((agree + 1)); echo "AGREE  $f  $ours"
  else differ=$((differ + 1)); echo "DIFFER $f  exiftool: ${tool:-none}  engine: ${ours:-none}"
  fi
done < <(find "$dir" -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) -print0 | sort -z)
echo "$agree agree, $differ differ, $none without a position, $refused refused by the engine"
[ "$differ" -eq 0 ]
