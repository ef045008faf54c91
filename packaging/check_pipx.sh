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
# pipx, driftcheck and every dependency are installed at the versions packaging/constraints.txt
# names (the versions the test suite passed with); CONSTRAINTS=/other/file chooses others.
#
# Not part of `make test` or CI: it downloads driftcheck's dependencies (~1 minute here).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
CONSTRAINTS=${CONSTRAINTS:-$ROOT/packaging/constraints.txt}
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
"$WORK/pipx-venv/bin/python" -m pip install --quiet -c "$CONSTRAINTS" pipx
export PIPX_HOME="$WORK/pipx" PIPX_BIN_DIR="$WORK/bin" PIPX_MAN_DIR="$WORK/man"
# Through pip's environment rather than --pip-args: pipx first runs the pip bundled with
# Python (23 here), which knows -c but not --build-constraint; PIP_BUILD_CONSTRAINT is for
# the pip it then installs, which no longer takes build pins from PIP_CONSTRAINT.
PIP_CONSTRAINT="$CONSTRAINTS" PIP_BUILD_CONSTRAINT="$CONSTRAINTS" \
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
versions=$("$WORK/pipx-venv/bin/pipx" runpip driftcheck freeze --all \
  | grep -v '^driftcheck' | LC_ALL=C sort)
pinned=$(grep -v '^#' "$CONSTRAINTS" | grep . | LC_ALL=C sort)
off=$(LC_ALL=C comm -23 <(echo "$versions") <(echo "$pinned") | tr '\n' ' ')
[ -z "$off" ] || fail "installed at versions packaging/constraints.txt does not name: $off"
echo "pipx check ok: all $(echo "$versions" | grep -c .) packages at their versions in" \
  "packaging/constraints.txt"
echo "pipx check: all passed in $(($(date +%s) - started)) s" \
  "(venv $(du -sh "$PIPX_HOME/venvs/driftcheck" | cut -f1))"
