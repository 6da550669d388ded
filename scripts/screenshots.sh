#!/usr/bin/env bash
# Take the README's screenshots of the real window under Xvfb (dark and light theme).
# Needs: xvfb imagemagick xdotool (apt-get install xvfb imagemagick xdotool), and a release
# build (cargo build --release). The window opens at 0,0; the clicks below follow its layout.
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/screenshots
mkdir -p "$out"
export DISPLAY=:97
unset WAYLAND_DISPLAY
export XDG_RUNTIME_DIR=$(mktemp -d); chmod 700 "$XDG_RUNTIME_DIR"
export XDG_CONFIG_HOME=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d)   # fresh settings: dark theme
Xvfb $DISPLAY -screen 0 1360x880x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 1
target/release/pgstage >/dev/null 2>&1 &
app=$!
sleep 3
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-0.6}"; }
shot() { import -window root "$out/$1.png"; }
tab() { case $1 in plan) click 28 41;; connect) click 123 41;; run) click 216 41;; results) click 273 41;; charts) click 337 41;; verdict) click 426 41;; esac; }

for y in 468 491 514 537 560 583; do click 15 "$y" 0.2; done   # the manual checklist
shot plan-dark
tab run
click 129 80 2.5        # Next step: pre-flight (starts the sandbox)
click 129 80 0.8        # 013
click 129 80 0.8        # 014
shot run-in-progress-dark
click 35 80 3           # Run all
tab results; shot results-dark
tab charts; shot charts-dark
tab verdict; shot verdict-dark
click 1308 16 0.8       # light theme
shot verdict-light
tab results; shot results-light
tab charts; shot charts-light
tab plan; shot plan-light
echo "screenshots in $out"
