#!/usr/bin/env bash
# Take the README's screenshots of the real window under Xvfb: every tab in the dark and the
# light theme at 1600×1000, Results, Charts, Verdict and Locks at 1024×700 (the smallest size
# every tab must work at). Needs: xvfb imagemagick xdotool (apt-get install xvfb imagemagick
# xdotool libxcursor1 libxi6 libxkbcommon-x11-0 libegl1 libegl-mesa0), and a release build
# (cargo build --release; PGSTAGE_BIN=target/debug/pgstage takes a debug build). The window
# opens at 0,0; the clicks below follow its layout.
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/screenshots
mkdir -p "$out"
export DISPLAY=:97
unset WAYLAND_DISPLAY
export XDG_RUNTIME_DIR=$(mktemp -d); chmod 700 "$XDG_RUNTIME_DIR"
export XDG_CONFIG_HOME=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d) XDG_STATE_HOME=$(mktemp -d)   # fresh settings: dark theme
Xvfb $DISPLAY -screen 0 1600x1000x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 1
bin=${PGSTAGE_BIN:-target/release/pgstage}
$bin >/dev/null 2>&1 &
app=$!
sleep 5
window=$(xdotool search --name pgstage | head -1)
xdotool windowsize "$window" 1600 1000; sleep 1
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-1.5}"; }
shot() { import -window root "$out/$1.png"; }
small() { import -window root -crop 1024x700+0+0 +repage "$out/$1.png"; }
tab() { case $1 in plan) click 28 41;; connect) click 123 41;; run) click 216 41;; results) click 273 41;; locks) click 335 41;; charts) click 393 41;; verdict) click 477 41;; compare) click 670 41;; esac; }

shot plan-unticked-dark
for y in 468 491 514 537 560 583; do click 15 "$y" 0.2; done   # the manual checklist
shot plan-dark
tab run
click 129 80 20         # Next step: pre-flight (starts the sandbox: seconds, more on a busy machine)
click 35 80 1.5         # Run all: a migration under way
shot run-in-progress-dark
sleep 40                # the rest of the run
tab run; shot run-dark
tab connect; shot connect-dark
tab results; click 300 164; shot results-dark   # 013 selected: its SQL and timings below
tab locks; shot locks-dark
tab charts; shot charts-dark
tab verdict; shot verdict-dark
xdotool windowsize "$window" 1024 700; sleep 1
tab results; small results-1024-dark
tab charts; small charts-1024-dark
tab verdict; small verdict-1024-dark
tab locks; small locks-1024-dark
xdotool windowsize "$window" 1600 1000; sleep 1
click 1548 16 4         # light theme (a slow repaint: wait)
tab verdict; shot verdict-light
tab results; shot results-light
tab charts; shot charts-light
tab run; shot run-light
tab connect; shot connect-light
tab locks; shot locks-light
tab plan; shot plan-light
# The review mode: a frozen run result opened read-only (fresh settings: the dark theme).
kill $app; sleep 1
export XDG_CONFIG_HOME=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d) XDG_STATE_HOME=$(mktemp -d)
$bin tests/fixtures/report/run_failed_015.json >/dev/null 2>&1 &
app=$!
sleep 5
window=$(xdotool search --name pgstage | head -1)
xdotool windowsize "$window" 1600 1000; sleep 1.5
shot review-dark
# The rehearsal beside the staging run that followed it (the Compare tab).
kill $app; sleep 1
$bin open tests/fixtures/report/run_go.json --compare tests/fixtures/report/run_staging.json >/dev/null 2>&1 &
app=$!
sleep 5
window=$(xdotool search --name pgstage | head -1)
xdotool windowsize "$window" 1600 1000; sleep 1.5
shot compare-dark
echo "screenshots in $out"
