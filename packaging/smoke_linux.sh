#!/usr/bin/env bash
# Smoke-test a built driftcheck program, as a person would start it, from outside the source
# tree and with temporary data folders:
#
#     packaging/smoke_linux.sh dist/driftcheck/driftcheck
#
# 1. `--version` names the version in pyproject.toml.
# 2. `doctor --json` without a display: valid JSON, and the data folder is not created.
# 3. `apps add koboldcpp` (the catalog read from inside the build) and `status`.
# 4. Under Xvfb + openbox, a real window of a process called `koboldcpp` in front:
#    `track --interval 1` for ~5 s, stopped with SIGINT, exits 0, and `status --json` counts
#    at least 3 s.
# 5. With an XEmbed tray (trayer): `doctor --json` sees it, and the tray app
#    (QT_QPA_PLATFORM=xcb) runs for 5 s, logs that tracking started, and exits 0 on SIGTERM.
#
# Needs Xvfb, openbox, xterm, xdotool and trayer (tests/system-deps.sh installs them).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/driftcheck" >&2
  exit 2
fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -x "$BIN" ] || { echo "smoke: $BIN is not an executable" >&2; exit 2; }

missing=()
for tool in Xvfb openbox xterm xdotool trayer python3; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "smoke: missing ${missing[*]} (tests/system-deps.sh installs them)" >&2
  exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/driftcheck-smoke.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# No help from the source tree or the caller's session.
cd "$WORK"
unset PYTHONPATH PYTHONHOME DRIFTCHECK_DATA_DIR WAYLAND_DISPLAY QT_QPA_PLATFORM \
  DBUS_SESSION_BUS_ADDRESS SWAYSOCK HYPRLAND_INSTANCE_SIGNATURE

passed=0
ok() { passed=$((passed + 1)); echo "smoke ok: $*"; }
fail() { echo "smoke FAILED: $*" >&2; exit 1; }
json_get() {  # json_get FILE PYTHON-EXPRESSION-OF-r
  python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print($2)" "$1"
}

# 1. --version
want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml")
got=$("$BIN" --version)
[ "$got" = "driftcheck $want" ] || fail "--version printed '$got', expected 'driftcheck $want'"
ok "--version: $got"

# 2. doctor --json, no display
env -u DISPLAY "$BIN" --data-dir "$WORK/nodisplay" doctor --json > "$WORK/doctor.json" \
  || fail "doctor --json exited $?"
[ "$(json_get "$WORK/doctor.json" 'r["version"]')" = "$want" ] || fail "doctor: wrong version"
[ ! -e "$WORK/nodisplay" ] || fail "doctor created the data folder"
ok "doctor --json without a display: probe $(json_get "$WORK/doctor.json" 'r["probe"]["name"]')"

# 3. the catalog from inside the build, and status
DATA="$WORK/data"
"$BIN" --data-dir "$DATA" apps catalog > "$WORK/catalog.txt" || fail "apps catalog exited $?"
grep -q koboldcpp "$WORK/catalog.txt" || fail "apps catalog does not list koboldcpp"
"$BIN" --data-dir "$DATA" apps add koboldcpp >/dev/null || fail "apps add exited $?"
"$BIN" --data-dir "$DATA" status >/dev/null || fail "status exited $?"
ok "apps catalog ($(wc -l < "$WORK/catalog.txt") lines), apps add, status"

# 4. track on a real X server
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$WORK/display" 2>"$WORK/xvfb.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/display" ] && break; sleep 0.05; done
[ -s "$WORK/display" ] || fail "Xvfb did not start: $(cat "$WORK/xvfb.log")"
export DISPLAY=":$(head -n1 "$WORK/display")"
openbox >/dev/null 2>&1 &
PIDS+=($!)
ln -s "$(command -v xterm)" "$WORK/koboldcpp"
"$WORK/koboldcpp" -T "kobold" -e sleep 600 >/dev/null 2>&1 &
window_pid=$!
PIDS+=("$window_pid")
window=""
for _ in $(seq 100); do
  window=$(xdotool search --pid "$window_pid" 2>/dev/null | head -n1 || true)
  [ -n "$window" ] && break
  sleep 0.1
done
[ -n "$window" ] || fail "the koboldcpp window did not appear"
for _ in $(seq 50); do  # openbox may still be starting: activate until it holds
  xdotool windowactivate --sync "$window" >/dev/null 2>&1 || true
  [ "$(xdotool getactivewindow 2>/dev/null || true)" = "$window" ] && break
  sleep 0.1
done
xdotool mousemove 100 100
"$BIN" --data-dir "$DATA" track --interval 1 > "$WORK/track.out" 2>&1 &
track_pid=$!
sleep 5
xdotool mousemove 120 120  # not idle
sleep 1
kill -INT "$track_pid"
rc=0
wait "$track_pid" || rc=$?
[ "$rc" = 0 ] || fail "track exited $rc on SIGINT: $(cat "$WORK/track.out")"
"$BIN" --data-dir "$DATA" status --json > "$WORK/status.json"
seconds=$(json_get "$WORK/status.json" 'r["total_seconds"]')
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 3 else 1)" "$seconds" \
  || fail "track counted $seconds s in 6 s of a tracked window in front"
mode=$(json_get "$WORK/status.json" 'r["mode"]')
ok "track under Xvfb for 6 s: $seconds s counted ($mode), exit 0 on SIGINT"

# 5. the tray app with an XEmbed tray
trayer --edge top --align right --widthtype pixel --width 120 --height 24 >/dev/null 2>&1 &
PIDS+=($!)
tray=False
for _ in $(seq 20); do
  "$BIN" --data-dir "$DATA" doctor --json > "$WORK/doctor-x.json"
  tray=$(json_get "$WORK/doctor-x.json" 'r["tray"]["available"]')
  [ "$tray" = True ] && break
  sleep 0.5
done
[ "$tray" = True ] || fail "doctor does not see trayer's tray: $(cat "$WORK/doctor-x.json")"
ok "doctor --json under Xvfb: probe $(json_get "$WORK/doctor-x.json" 'r["probe"]["name"]'), tray available"
starts_before=$(grep -c '"event": "started"' "$DATA/driftcheck.log" || true)
QT_QPA_PLATFORM=xcb "$BIN" --data-dir "$DATA" > "$WORK/tray.out" 2>&1 &
tray_pid=$!
sleep 5
kill -0 "$tray_pid" 2>/dev/null || fail "the tray app ended early: $(cat "$WORK/tray.out")"
kill -TERM "$tray_pid"
rc=0
wait "$tray_pid" || rc=$?
[ "$rc" = 0 ] || fail "the tray app exited $rc on SIGTERM: $(cat "$WORK/tray.out")"
starts_after=$(grep -c '"event": "started"' "$DATA/driftcheck.log" || true)
[ "$starts_after" -gt "$starts_before" ] || fail "the tray app never logged that tracking started"
ok "tray app under Xvfb + trayer for 5 s, exit 0 on SIGTERM"

echo "smoke: all $passed checks passed for $BIN"
