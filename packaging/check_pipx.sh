#!/usr/bin/env bash
# Prove that `pipx install .` gives a working driftcheck, away from the source tree:
#
#     packaging/check_pipx.sh
#
# pipx itself goes into a throwaway venv (the machine's own pipx, if any, is not touched), and
# PIPX_HOME / PIPX_BIN_DIR point into a temporary folder, so nothing lands in ~/.local. What is
# installed is a snapshot of this working tree (committed and new files), copied first so that
# the build leaves no build/ or *.egg-info in the tree. Then, from a folder outside the tree and
# without PYTHONPATH: `driftcheck --version`, `doctor`, `apps catalog` (the catalog read from
# the installed package), `apps add`, `status --json`.
#
# Not part of `make test` or CI: it downloads driftcheck's dependencies (~1 minute here).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/driftcheck-pipx.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
started=$(date +%s)

mkdir "$WORK/src"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
else
  tar -C "$ROOT" --exclude=./.venv --exclude=./dist --exclude=./build -cf - . \
    | tar -xf - -C "$WORK/src"
fi

"$PYTHON" -m venv "$WORK/pipx-venv"
"$WORK/pipx-venv/bin/python" -m pip install --quiet pipx
export PIPX_HOME="$WORK/pipx" PIPX_BIN_DIR="$WORK/bin" PIPX_MAN_DIR="$WORK/man"
"$WORK/pipx-venv/bin/pipx" install --python "$PYTHON" "$WORK/src"
rm -rf "$WORK/src"  # the installed program must not need it

cd "$WORK"
unset PYTHONPATH PYTHONHOME DRIFTCHECK_DATA_DIR
DC="$WORK/bin/driftcheck"
fail() { echo "pipx check FAILED: $*" >&2; exit 1; }

want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml")
got=$("$DC" --version)
[ "$got" = "driftcheck $want" ] || fail "--version printed '$got'"
echo "pipx check ok: $DC --version: $got"

"$DC" --data-dir "$WORK/data" doctor || fail "doctor exited $?"
echo "pipx check ok: doctor"

count=$("$DC" --data-dir "$WORK/data" apps catalog | grep -c . || true)
[ "$count" -ge 20 ] || fail "apps catalog printed $count lines"
"$DC" --data-dir "$WORK/data" apps add koboldcpp >/dev/null || fail "apps add exited $?"
"$DC" --data-dir "$WORK/data" status --json > "$WORK/status.json" || fail "status exited $?"
grep -q '"koboldcpp"' "$WORK/status.json" || fail "status does not list the app just added"
echo "pipx check ok: apps catalog ($count lines), apps add, status --json"

where=$("$PIPX_HOME/venvs/driftcheck/bin/python" -c \
  "import widget, widget.catalog_data as c; print(widget.__file__); c.load_catalog()")
case "$where" in
  "$PIPX_HOME"/*) echo "pipx check ok: widget imported from $where" ;;
  *) fail "widget was imported from $where, not from the pipx venv" ;;
esac
echo "pipx check: all passed in $(($(date +%s) - started)) s" \
  "(venv $(du -sh "$PIPX_HOME/venvs/driftcheck" | cut -f1))"
