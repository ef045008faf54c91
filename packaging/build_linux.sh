#!/usr/bin/env bash
# Build driftcheck as a one-folder Linux app with PyInstaller, then smoke-test it.
#
#     packaging/build_linux.sh            # -> dist/driftcheck/driftcheck (+ _internal/)
#     DIST=/elsewhere packaging/build_linux.sh
#
# Not part of `make test` or CI: it installs PyInstaller and every dependency into a throwaway
# venv and takes a few minutes (about 1.5 here, 2 cores). The build freezes a snapshot of this
# working tree (committed and new files, without ignored ones), made in a temporary folder so
# that pip and PyInstaller leave no build/ or *.egg-info behind in the tree. Only DIST
# (default dist/, git-ignored) is written: dist/driftcheck is replaced.
#
# Every package is installed at the version packaging/constraints.txt names (the versions the
# test suite passed with); CONSTRAINTS=/other/file chooses others.
#
# Then packaging/smoke_linux.sh runs the result: --version, doctor, track under Xvfb and the
# tray app under Xvfb with trayer (tests/system-deps.sh installs those tools).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIST=${DIST:-$ROOT/dist}
PYTHON=${PYTHON:-python3}
PYINSTALLER_SPEC=${PYINSTALLER_SPEC:-pyinstaller>=6.10,<7}
CONSTRAINTS=${CONSTRAINTS:-$ROOT/packaging/constraints.txt}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/driftcheck-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
started=$(date +%s)

echo "build: snapshot of $ROOT"
mkdir "$WORK/src"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
else
  tar -C "$ROOT" --exclude=./.venv --exclude=./dist --exclude=./build -cf - . \
    | tar -xf - -C "$WORK/src"
fi

echo "build: throwaway venv with PyInstaller and driftcheck's dependencies"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --upgrade -c "$CONSTRAINTS" pip
"$WORK/venv/bin/python" -m pip install --quiet -c "$CONSTRAINTS" --build-constraint "$CONSTRAINTS" \
  "$PYINSTALLER_SPEC" "$WORK/src"
installed=$(date +%s)

echo "build: PyInstaller"
"$WORK/venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK/build" "$WORK/src/packaging/driftcheck.spec"
built=$(date +%s)

size=$(du -sh "$DIST/driftcheck" | cut -f1)
files=$(find "$DIST/driftcheck" -type f | wc -l)
echo "build: $DIST/driftcheck: $size in $files files;" \
  "pip $((installed - started)) s, PyInstaller $((built - installed)) s"

bash "$ROOT/packaging/smoke_linux.sh" "$DIST/driftcheck/driftcheck"
echo "build: done in $(($(date +%s) - started)) s: $DIST/driftcheck ($size)"
