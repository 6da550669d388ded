#!/usr/bin/env bash
# Take the README's screenshots of the real window under Xvfb, after a real run of the bundled
# Week 2 plan on the sandbox: every tab in the dark and the light theme at 1600×1000, Results,
# Charts, Verdict and Locks at 1024×700 (the smallest size every tab must work at), a review of
# a frozen failed run and the Compare tab. Needs: xvfb imagemagick xdotool (apt-get install xvfb
# imagemagick xdotool libxcursor1 libxi6 libxkbcommon-x11-0 libegl1 libegl-mesa0), and a
# release build (cargo build --release; PGSTAGE_BIN=target/debug/pgstage takes a debug build).
#
# Nothing here waits a fixed time for the run: the window's title says where the run stands
# ("pgstage — <plan> — running: …", "… — finished: GO"), and the script waits for it, with a
# bound, and stops with an error when the run did not start, failed, or took too long. Tabs are
# chosen with their shortcuts (Ctrl+1 … Ctrl+8), the run with Space (next step) and F5 (run
# all); the only clicks are the checklist's boxes (found on screen by their colour), a row of
# the Results table and the theme button, and each click is checked to have changed the window.
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/screenshots
mkdir -p "$out"
bin=${PGSTAGE_BIN:-target/release/pgstage}
plan=plans/week2_staging.ron
die() { echo "screenshots: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin: no such program (cargo build --release, or PGSTAGE_BIN=target/debug/pgstage)"
for tool in Xvfb xdotool import convert; do command -v $tool >/dev/null || die "$tool is not installed"; done

tmp=$(mktemp -d)
app=""
xvfb=""
cleanup() {
    [ -n "$app" ] && kill "$app" 2>/dev/null || true
    [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
unset WAYLAND_DISPLAY
export XDG_RUNTIME_DIR=$tmp/runtime
mkdir -m 700 "$XDG_RUNTIME_DIR"

# A display of its own: Xvfb picks a free number and writes it when it is ready.
Xvfb -displayfd 3 -screen 0 1600x1000x24 3>"$tmp/display" >/dev/null 2>&1 &
xvfb=$!
for _ in $(seq 100); do [ -s "$tmp/display" ] && break; sleep 0.1; done
[ -s "$tmp/display" ] || die "Xvfb did not start"
export DISPLAY=:$(cat "$tmp/display")

title() { xdotool getwindowname "$window" 2>/dev/null || true; }
# Wait until the window's title matches the extended regex $1, at most $2 seconds.
wait_title() {
    local deadline=$((SECONDS + $2))
    until title | grep -Eq -- "$1"; do
        [ $SECONDS -lt $deadline ] || die "waited $2 s for the title to match '$1'; it reads '$(title)'"
        kill -0 "$app" 2>/dev/null || die "pgstage exited (title was waited for: '$1')"
        sleep 0.2
    done
}
# Start pgstage with fresh settings (the dark theme) on the arguments given, the window at 0,0
# in 1600×1000, and wait until it shows what it opened.
start() {
    [ -z "$app" ] || { kill "$app"; wait "$app" 2>/dev/null || true; }
    kill -0 "$xvfb" 2>/dev/null || die "Xvfb ($DISPLAY) exited"
    export XDG_CONFIG_HOME=$(mktemp -d -p "$tmp") XDG_DATA_HOME=$(mktemp -d -p "$tmp") XDG_STATE_HOME=$(mktemp -d -p "$tmp")
    "$bin" "$@" >"$tmp/app.log" 2>&1 &
    app=$!
    window=""
    for _ in $(seq 300); do
        window=$(xdotool search --name '^pgstage' 2>/dev/null | head -1) && [ -n "$window" ] && break
        kill -0 "$app" 2>/dev/null || die "pgstage exited: $(tail -5 "$tmp/app.log")"
        sleep 0.2
    done
    [ -n "$window" ] || die "no pgstage window after 60 s"
    size 1600 1000
    wait_title '^pgstage — ' 30
}
size() { xdotool windowsize "$window" "$1" "$2"; width=$1; height=$2; settle; }
# The pointer where it shows no tooltip (the log pane's empty right end), and a few frames.
park() { xdotool mousemove $((width - 8)) $((height - 8)); }
settle() { park; sleep "${1:-1}"; }
# Keys go to the focused window (no window manager here gives it the focus).
key() { park; xdotool windowfocus --sync "$window"; xdotool key --clearmodifiers "$@"; settle "${SETTLE:-1}"; }
tab() {
    local n
    case $1 in plan) n=1;; connect) n=2;; run) n=3;; results) n=4;; locks) n=5;; charts) n=6;; verdict) n=7;; compare) n=8;; *) die "no tab $1";; esac
    key "ctrl+$n"
}
shot() { settle 0.5; import -window root -crop "${width}x${height}+0+0" +repage "$out/$1.png"; echo "$out/$1.png"; }
# A click that must change what the window shows (else the layout moved: stop here).
click() {
    import -window root "$tmp/before.png"
    xdotool mousemove "$1" "$2" click 1
    settle "${3:-1}"
    import -window root "$tmp/after.png"
    [ "$(compare -metric AE "$tmp/before.png" "$tmp/after.png" null: 2>&1 || true)" != 0 ] || die "the click at $1,$2 changed nothing: $4"
}
# The manual checklist's unticked boxes: runs of 12 to 16 pixels of the dark theme's box colour
# down the column of the boxes (x = 14); their middles.
boxes() {
    import -window root "$tmp/plan.png"
    convert "$tmp/plan.png" -crop 1x${height}+14+0 +repage txt:- | awk -F'[,: ]+' 'NR > 1 {
        c = ($0 ~ /#3C3C3C/); if (c && !run) start = $2; if (!c && run && $2 - start >= 12 && $2 - start <= 16) print int((start + $2) / 2); run = c }'
}
is_light() {
    local px
    px=$(convert "$1" -crop 1x1+$((width - 4))+$((height - 4)) +repage -format '%[fx:int(255*luminance)]' info:)
    [ "$px" -gt 128 ]
}

start "$plan"
wait_title "Week 2 Tuesday - Staging Validation — not started" 30
tab plan
shot plan-unticked-dark
ticks=$(boxes)
[ -n "$ticks" ] || die "no checklist box found on the Plan tab"
for y in $ticks; do xdotool mousemove 14 "$y" click 1; sleep 0.3; done
settle
[ -z "$(boxes)" ] || die "checklist boxes still unticked at y = $(boxes | tr '\n' ' ')"
shot plan-dark

tab run
key space                                   # pre-flight: starts and seeds the sandbox first
title | grep -Eq 'preparing|running' || sleep 2
title | grep -Eq 'preparing|running|paused' || die "Next step did not start the run: '$(title)'"
wait_title 'paused between steps' 300      # the pre-flight done, the migrations next
SETTLE=0 key F5                             # run all: a migration under way
deadline=$((SECONDS + 60))
until title | grep -q 'running: Migration'; do
    if title | grep -Eq 'running: (Verification|Integrity|Performance|Rollback|Verdict)|finished: '; then
        echo "screenshots: the migrations ran faster than a screenshot; run-in-progress shows '$(title)'" >&2
        break
    fi
    [ $SECONDS -lt $deadline ] || die "Run all (F5) did not start the migrations: '$(title)'"
    sleep 0.05
done
import -window root -crop "${width}x${height}+0+0" +repage "$out/run-in-progress-dark.png"   # at once
wait_title 'finished: ' 600
title | grep -q 'finished: GO' || die "the run did not end GO: '$(title)'"
tab run; shot run-dark
tab connect; shot connect-dark
tab results
click 300 141 1 "selecting migration 013 on the Results tab"   # its SQL and timings below
shot results-dark
tab locks; shot locks-dark
tab charts; shot charts-dark
tab verdict; shot verdict-dark
size 1024 700
tab results; shot results-1024-dark
tab charts; shot charts-1024-dark
tab verdict; shot verdict-1024-dark
tab locks; shot locks-1024-dark
size 1600 1000
xdotool mousemove $((width - 52)) 16 click 1   # the theme button, the top bar's rightmost
settle 3                                        # a slow repaint on software GL
import -window root "$tmp/theme.png"
is_light "$tmp/theme.png" || die "the theme button did not switch to the light theme"
for t in verdict results charts run connect locks plan; do tab $t; shot $t-light; done

# The review mode: a frozen run result opened read-only (fresh settings: the dark theme).
start tests/fixtures/report/run_failed_015.json
wait_title 'review' 30
shot review-dark
# The rehearsal beside the staging run that followed it (the Compare tab).
start open tests/fixtures/report/run_go.json --compare tests/fixtures/report/run_staging.json
wait_title 'review' 30
tab compare
shot compare-dark
echo "screenshots in $out"
