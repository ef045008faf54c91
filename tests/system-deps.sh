#!/usr/bin/env bash
# Installs the Debian packages the real-display tests need (Xvfb, a window manager, xdotool,
# Qt's xcb libraries, fonts, the browsers...) when this is Debian/Ubuntu and we are root or have
# passwordless sudo. Otherwise it names what is missing; those tests then skip loudly (or fail
# with REQUIRE_X11=1).
set -u
packages=(
  xvfb xauth openbox xdotool xterm x11-utils imagemagick dbus dbus-x11 dunst libnotify-bin
  libglib2.0-bin trayer sqlite3 desktop-file-utils poppler-utils appstream strace
  libegl1 libgl1 libx11-xcb1 libdbus-1-3 libfontconfig1 libglib2.0-0 libxcb-cursor0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xkb1 libxkbcommon-x11-0 fonts-dejavu-core
  # tests/browser: the extension in real browsers, its matcher in Node, and a sound server
  # with a null sink (Firefox marks a tab audible only when its sound reaches one)
  chromium firefox-esr pulseaudio nodejs
  # tests/gnome: a headless GNOME Shell 43 on Wayland (tests/helpers/gnome.py). gjs runs the
  # Shell's own D-Bus services (org.gnome.Shell.Notifications serves org.freedesktop.Notifications;
  # without gjs nothing does); python3-dbusmock stands in for logind, without which the Shell
  # dies at start; foot opens Wayland windows, xwayland X11 ones; the AppIndicator extension
  # gives GNOME a tray. ~160 packages, ~21 s to install here.
  gnome-shell gjs python3-dbusmock gnome-shell-extension-appindicator foot xwayland
  # tests/sway, tests/wlroots, tests/kwin: headless Sway 1.7, phoc 0.24 and cage (wlroots, no
  # Sway IPC) and a virtual KWin 5.27, each run as the test user (tests/helpers/wlroots.py,
  # kwin.py); Wayfire 0.7 needs a DRM render node this kind of machine lacks
  sway phoc cage kwin-wayland
  # tests/sync: two or three real Syncthing 1.19 devices on loopback (tests/helpers/syncthing.py)
  syncthing
)
command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not a Debian-like system; install Xvfb, openbox and xdotool yourself for the real-display tests."; exit 0; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "system-deps: SKIPPING the real-display tests' packages (not root, no passwordless sudo): ${missing[*]}" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
