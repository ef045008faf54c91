#!/usr/bin/env bash
# Put driftcheck in the desktop's application menu: its .desktop entry, AppStream metainfo and
# hicolor icons, copied from this repository.
#
#     packaging/install_desktop_files.sh [--exec COMMAND] [--uninstall] [DATA_DIR]
#
# DATA_DIR defaults to $XDG_DATA_HOME or ~/.local/share (just you); /usr/local/share installs
# for everyone (as root). --exec sets the entry's Exec= line, for a program that is not on
# PATH as `driftcheck`, e.g. the PyInstaller folder:
#
#     packaging/install_desktop_files.sh --exec "$PWD/dist/driftcheck/driftcheck"
#
# --uninstall removes exactly the files this script installs. Nothing here starts driftcheck
# at login: that is driftcheck's own setting ("Start at login").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ICONS="$ROOT/resources/icons"
APP_ID=io.github.driftcheck
SIZES=(16 22 24 32 48 64 128 256 512)

exec_cmd=""
uninstall=0
data_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --exec) [ $# -ge 2 ] || { echo "--exec needs a command" >&2; exit 2; }; exec_cmd=$2; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$data_dir" ] || { echo "one DATA_DIR only" >&2; exit 2; }; data_dir=$1; shift ;;
  esac
done
data_dir=${data_dir:-${XDG_DATA_HOME:-$HOME/.local/share}}

files=("applications/driftcheck.desktop" "metainfo/$APP_ID.metainfo.xml"
       "icons/hicolor/scalable/apps/driftcheck.svg")
for size in "${SIZES[@]}"; do
  files+=("icons/hicolor/${size}x${size}/apps/driftcheck.png")
done

refresh_caches() {
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$data_dir/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$data_dir/icons/hicolor" || true
  fi
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data_dir/applications" || true
  fi
}

if [ "$uninstall" = 1 ]; then
  for f in "${files[@]}"; do
    rm -f "$data_dir/$f"
  done
  refresh_caches
  echo "Removed driftcheck's desktop files from $data_dir."
  exit 0
fi

if [ -n "$exec_cmd" ]; then
  # The Desktop Entry spec's quoting: reserved characters need the argument in double quotes;
  # ", `, $ and \ would need escapes too, so such a path is refused rather than mangled.
  case "$exec_cmd" in
    *[\"\`\$\\]*) echo "--exec: please use a path without \", \`, \$ or \\" >&2; exit 2 ;;
  esac
  case "$exec_cmd" in
    *[[:space:]\'\>\<~\|\&\;\*\?\#\(\)%]*) exec_line="\"$exec_cmd\"" ;;
    *) exec_line=$exec_cmd ;;
  esac
  [ -x "$exec_cmd" ] || echo "note: $exec_cmd is not an executable file (yet)" >&2
else
  exec_line=driftcheck
  command -v driftcheck >/dev/null 2>&1 \
    || echo "note: driftcheck is not on PATH; the menu entry will start it once it is" >&2
fi

install -d "$data_dir/applications" "$data_dir/metainfo" "$data_dir/icons/hicolor/scalable/apps"
sed "s|^Exec=.*|Exec=$exec_line|" "$HERE/driftcheck.desktop" > "$data_dir/applications/driftcheck.desktop"
chmod 644 "$data_dir/applications/driftcheck.desktop"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$data_dir/applications/driftcheck.desktop"
fi
install -m 644 "$HERE/$APP_ID.metainfo.xml" "$data_dir/metainfo/$APP_ID.metainfo.xml"
install -m 644 "$ICONS/driftcheck.svg" "$data_dir/icons/hicolor/scalable/apps/driftcheck.svg"
for size in "${SIZES[@]}"; do
  install -D -m 644 "$ICONS/hicolor/${size}x${size}/apps/driftcheck.png" \
    "$data_dir/icons/hicolor/${size}x${size}/apps/driftcheck.png"
done
refresh_caches
echo "Installed driftcheck's menu entry, metainfo and icons into $data_dir (Exec=$exec_line)."
