#!/usr/bin/env bash
# The main job on embedded defaults: the sync server comes up with the demo cells, code
# table and users loaded (embedded SQLite, photos on disk), a field engine captures a
# report from every fixture photo offline, is enrolled, and syncs: records first, then
# photos over tus. The server then stays up for you to try (Ctrl-C stops it).
#
#   GRIDWALK_DEMO_DIR      where the centre and the tablet keep their data (default: a temp dir)
#   GRIDWALK_SYNC_LISTEN   the server's address (default 127.0.0.1:8750)
#   GRIDWALK_DEMO_EXIT=1   stop the server after the demo sync instead of staying up
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs)" >&2
  exit 1
fi
DIR="${GRIDWALK_DEMO_DIR:-$(mktemp -d)/gridwalk-demo}"
LISTEN="${GRIDWALK_SYNC_LISTEN:-127.0.0.1:8750}"
CENTRE="$DIR/centre"
TABLET="$DIR/tablet"
mkdir -p "$DIR"

# The console's pages (served by the server under /console/) are built from ui/ with npm,
# before the server: they are compiled into its binary.
if [ ! -f ui/dist/console.html ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== Build the console's pages (npm)"
    (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build) >/dev/null
  else
    echo "npm not found: the console's pages are not built (the sync API works without them)" >&2
  fi
fi

cargo build --release --locked -p gridwalk-sync -p gridwalk-field
S=./target/release/gridwalk-sync
F=./target/release/gridwalk-field

echo "== The centre: demo cells, code table and users"
$S --data-dir "$CENTRE" admin load-fixtures fixtures

echo "== The tablet, offline: a report from every fixture photo, and one fixed on the spot"
$F --data-dir "$TABLET" --fixtures fixtures demo --user lixiaoming --on-spot

echo "== Enroll the tablet for lixiaoming and start the server"
DEVICE=$($F --data-dir "$TABLET" --fixtures fixtures device-id)
TOKEN=$($S --data-dir "$CENTRE" admin enroll-device --user lixiaoming --device "$DEVICE")
$S --data-dir "$CENTRE" serve --listen "$LISTEN" > "$DIR/server.out" 2> "$DIR/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "^listening on " "$DIR/server.out" 2>/dev/null && break
  if ! kill -0 $SERVER 2>/dev/null; then cat "$DIR/server.log" >&2; exit 1; fi
  sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$DIR/server.out")
echo "server: $URL"
curl -fsS -o /dev/null "$URL/console/" || echo "the console's pages are not in this server (see above)" >&2

echo "== Sync: records, then photos, then what changed at the centre"
$F --data-dir "$TABLET" --fixtures fixtures sync --server "$URL" --token "$TOKEN"
echo "== The centre now holds:"
curl -fsS "$URL/healthz"; echo

echo "== The inspector marks a report already sent as urgent, and syncs the change"
FIRST=$($F --data-dir "$TABLET" --fixtures fixtures reports --state sent \
  | sed -n 's/^    "id": "\(.*\)",$/\1/p' | head -1)
$F --data-dir "$TABLET" --fixtures fixtures edit "$FIRST" --urgency urgent >/dev/null
$F --data-dir "$TABLET" --fixtures fixtures sync >/dev/null

# Demo console passwords for the team leader, the operator, the clerks of two departments
# and the administrator (read from standard input).
CONSOLE_PASSWORD="${GRIDWALK_DEMO_PASSWORD:-gridwalk-demo}"
for login in chenjianguo sunyue liangqing huangwei guanliyuan; do
  printf '%s\n' "$CONSOLE_PASSWORD" | $S --data-dir "$CENTRE" admin set-password --user "$login"
done

echo "== A day at the centre: the people act through the console's API"
# Each signs in (POST /v1/console/session) and takes steps as the console's buttons do
# (POST /v1/console/reports/ID/actions, with the state the person saw), so the centre
# holds cases in every state of the loop and the pages have something to show.
session() {
  curl -fsS -H 'content-type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"$CONSOLE_PASSWORD\"}" "$URL/v1/console/session" \
    | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
act() { # who, report, JSON body
  curl -fsS -o /dev/null -H "authorization: Bearer $1" -H 'content-type: application/json' \
    -d "$3" "$URL/v1/console/reports/$2/actions"
}
LEADER=$(session chenjianguo)
OPERATOR=$(session sunyue)
SZ=$(session liangqing)
# The tablet's reports in the order it made them (UUIDv7); the last is the one fixed on the spot.
mapfile -t R < <($F --data-dir "$TABLET" --fixtures fixtures reports --state sent \
  | sed -n 's/^    "id": "\(.*\)",$/\1/p' | sort)
if [ "${#R[@]}" -ge 13 ]; then
  for i in 0 1 2 3 4 5 6 7 12; do # 立案 (the demo's reports are near each other: despite the warning)
    act "$LEADER" "${R[$i]}" '{"action":"approve","despite_duplicate":true,"seen_state":"pending_review"}'
  done
  act "$LEADER" "${R[8]}" '{"action":"return","comment":"照片不清晰，请补拍近景","seen_state":"pending_review"}'
  act "$LEADER" "${R[9]}" '{"action":"reject","reason":"不属于城市管理问题","seen_state":"pending_review"}'
  for i in 0 1 2 3; do
    act "$OPERATOR" "${R[$i]}" '{"action":"dispatch","department":"SZ","seen_state":"registered"}'
  done
  act "$OPERATOR" "${R[4]}" '{"action":"dispatch","department":"HW","seen_state":"registered"}'
  act "$SZ" "${R[0]}" '{"action":"accept","seen_state":"dispatched"}'
  act "$SZ" "${R[0]}" '{"action":"request_extension","hours":8,"reason":"需更换配件，明日到货","seen_state":"in_progress"}'
  act "$SZ" "${R[1]}" '{"action":"handled","note":"已修复并清理现场","seen_state":"dispatched"}'
  act "$SZ" "${R[2]}" '{"action":"bounce","reason":"属环卫职责，非市政设施","seen_state":"dispatched"}'
  act "$OPERATOR" "${R[3]}" "{\"action\":\"suspend\",\"reason\":\"道路施工围挡，暂无法处置\",\"until\":\"$(date -d '+7 days' +%F)\",\"seen_state\":\"dispatched\"}"
  act "$OPERATOR" "${R[5]}" '{"action":"void","reason":"重复立案","seen_state":"registered"}'
  act "$OPERATOR" "${R[6]}" '{"action":"close_special","reason":"产权单位已自行处置","seen_state":"registered"}'
  # The inspector verifies the handled case on the tablet (核查 passed: 结案).
  $F --data-dir "$TABLET" --fixtures fixtures sync >/dev/null
  # The first task's ID (each entry is the task, then the report it is about).
  TASK=$($F --data-dir "$TABLET" --fixtures fixtures tasks | sed -n 's/^      "id": "\(.*\)",$/\1/p' | head -1)
  if [ -n "$TASK" ]; then
    $F --data-dir "$TABLET" --fixtures fixtures complete-task "$TASK" --pass --note "已修复" \
      --photo fixtures/photos/orient-1.jpg >/dev/null
    $F --data-dir "$TABLET" --fixtures fixtures sync >/dev/null
  fi
  echo "cases now: pending review, returned, rejected, registered (one sent back by 市政),"
  echo "dispatched, in progress with more time asked, suspended, voided, closed (verified and"
  echo "special), and one fixed on the spot waiting for the team leader's check."
fi

echo "== The other ports: the hotlines, 110, 119, WeChat, a leader's instruction and video analysis through the intake API, a citizen's 随手拍 through the public page"
# Each port's system holds a service account's token (shown once) and sends every call with
# an Idempotency-Key: the same call sent twice makes one report.
HOTLINE=$($S --data-dir "$CENTRE" admin port-token --user hotline12345)
VIDEO=$($S --data-dir "$CENTRE" admin port-token --user shipin-ai)
file_call() { # token, key, caller's reference, 小类, description, address
  local now observed
  now=$(date -u +%FT%TZ)
  observed=$(date -d '-20 minutes' +%FT%T%:z)
  curl -fsS -o /dev/null -H "authorization: Bearer $1" -H 'content-type: application/json' \
    -H "idempotency-key: $2" "$URL/v1/intake/reports" -d "{\"caller_ref\":\"$3\",
      \"kind\":\"event\",\"category\":\"$4\",\"description\":\"$5\",\"address\":\"$6\",
      \"location\":{\"lon\":113.0631,\"lat\":22.5983,\"crs\":\"WGS84\",\"accuracy_m\":25,
      \"fix_time\":\"$now\",\"provider\":\"manual\"},\"observed_at\":\"$observed\"}"
}
REF="12345-$(date +%Y%m%d)-0042"
file_call "$HOTLINE" "$REF" "$REF" 0507 "市民来电：小区门口垃圾堆放多日无人清运" "蓬江区建设路12号门口"
file_call "$HOTLINE" "$REF" "$REF" 0507 "市民来电：小区门口垃圾堆放多日无人清运" "蓬江区建设路12号门口" # a retry: no second report
file_call "$HOTLINE" "12345-$(date +%Y%m%d)-0043" "12345-$(date +%Y%m%d)-0043" 0102 \
  "市民来电：人行道有积存垃圾" "蓬江区建设路与新华路交叉口"
file_call "$VIDEO" "cam-0217-$(date +%s)" "CAM0217-$(date +%Y%m%d%H%M)" 0504 \
  "视频分析告警：摄像头 0217 识别到店外经营" "蓬江区建设路与新华路交叉口 0217 号摄像头"
# Every other port the centre joins files one too: 12319, the 110 and 119 hand-overs,
# WeChat and a leader's instruction.
for port in "hotline12319|0102|市民来电：路面积存垃圾渣土" "liandong110|0504|110 转来：店外占道经营影响通行" \
  "liandong119|0507|119 转来：消防通道堆放杂物" "weixin|0102|公众号留言：人行道有积存垃圾" \
  "lingdao|0507|领导交办：建设路沿线堆放物料请尽快处理"; do
  IFS='|' read -r login code words <<<"$port"
  TOKEN=$($S --data-dir "$CENTRE" admin port-token --user "$login")
  file_call "$TOKEN" "$login-$(date +%s)" "$login-$(date +%Y%m%d)-0001" "$code" "$words" "蓬江区建设路"
done
# A citizen on the public page (no account): the same multipart body the page sends, the
# photo made small on the phone; the centre files it as the suishoupai account.
now=$(date -u +%FT%TZ)
curl -fsS -o /dev/null "$URL/v1/public/reports" \
  -F "report={\"key\":\"$(cat /proc/sys/kernel/random/uuid)\",\"kind\":\"event\",\"category\":\"0507\",
    \"description\":\"路边堆放建筑垃圾，挡住了人行道\",\"address\":\"建设路8号旁\",
    \"location\":{\"lon\":113.0629,\"lat\":22.5985,\"crs\":\"WGS84\",\"accuracy_m\":18,
    \"fix_time\":\"$now\",\"provider\":\"gps\"},
    \"photo_ids\":[\"$(printf '%012x' "$(date +%s%3N)" | sed 's/\(........\)\(....\)/\1-\2/')-7000-8000-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')\"]};type=application/json" \
  -F "photo=@fixtures/photos/no-exif.jpg;type=image/jpeg"
# The cell's inspector checks the first call on site (核实: 属实, with a photo); the
# other calls and the 随手拍 wait for their check.
$F --data-dir "$TABLET" --fixtures fixtures sync >/dev/null
CHECK=$($F --data-dir "$TABLET" --fixtures fixtures tasks | sed -n 's/^      "id": "\(.*\)",$/\1/p' | head -1)
if [ -n "$CHECK" ]; then
  $F --data-dir "$TABLET" --fixtures fixtures complete-task "$CHECK" --pass --note "现场确有垃圾堆放" \
    --photo fixtures/photos/orient-2.jpg >/dev/null
  $F --data-dir "$TABLET" --fixtures fixtures sync >/dev/null
fi
echo "from the ports: one hotline call checked on site (待受理); one call from each other port"
echo "(12345, 12319, 110, 119, WeChat, a leader's instruction, a video alert) and a citizen's"
echo "随手拍 waiting for the inspector's check (待核实); the operator sees them in 受理审核."

if [ "${GRIDWALK_DEMO_EXIT:-0}" = "1" ]; then
  echo "The demo data is in $CENTRE (GRIDWALK_DEMO_EXIT=1: the server stops now)."
  exit 0
fi
cat <<MSG

The server is up at $URL with the demo data (case store and photos under $CENTRE).
The console: $URL/console/ — sign in as chenjianguo (team leader, 网格长), sunyue
(operator, 监督指挥中心), liangqing (clerk of 市政设施维护中心, 处置部门), huangwei (clerk of
环境卫生管理处) or guanliyuan (administrator: people and tablets), password
$CONSOLE_PASSWORD. A department's clerk opens 处置任务, made for a phone: try it in a
phone-sized window.

The public's 随手拍 page (a phone web page, no account): $URL/public/

The hotline's token (the intake API, /openapi.json tag "intake"; see the README):
  curl -s -H "authorization: Bearer $HOTLINE" $URL/v1/intake/deliveries

Point another engine at it:
  $F --data-dir /tmp/my-tablet --fixtures fixtures demo
  TOKEN=\$($S --data-dir $CENTRE admin enroll-device --user lixiaoming \\
          --device \$($F --data-dir /tmp/my-tablet --fixtures fixtures device-id))
  $F --data-dir /tmp/my-tablet --fixtures fixtures sync --server $URL --token \$TOKEN
MSG
echo "Ctrl-C stops the server."
wait $SERVER
