#!/usr/bin/env bash
# `pgstage init` on a generated golang-migrate folder of N migrations (default 300), the
# baseline all but the last 5: the wall time of each of R runs (default 3), on the sandbox. The
# baseline cache is a new empty one: run 1 is cold (initdb, the 295 baseline files, the entry
# saved), the others warm (a copy of the cached cluster).
# Usage: scripts/bench-init.sh [N] [R]   (builds the release binary, without the window, first)
set -euo pipefail
n=${1:-300}
runs=${2:-3}
cd "$(dirname "$0")/.."
cargo build --release --quiet --no-default-features --bin pgstage  # init needs no window
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export PGSTAGE_BASELINE_CACHE="$dir/cache"
mkdir "$dir/migrations"
for i in $(seq 1 "$n"); do
    v=$(printf '2024%016d' "$i")
    t="t$i"
    if (( i % 3 == 0 )); then
        printf 'CREATE TABLE %s (id bigint PRIMARY KEY, prev_id bigint REFERENCES t%d (id), name text NOT NULL);\nCREATE INDEX %s_name ON %s (name);\n' "$t" $((i - 1)) "$t" "$t" >"$dir/migrations/${v}_$t.up.sql"
    else
        printf 'CREATE TABLE %s (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\nINSERT INTO %s SELECT g, g::text FROM generate_series(1, 100) g;\n' "$t" "$t" >"$dir/migrations/${v}_$t.up.sql"
    fi
    printf 'DROP TABLE %s;\n' "$t" >"$dir/migrations/${v}_$t.down.sql"
done
from=$(printf '2024%016d' $((n - 4)))
for r in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    target/release/pgstage init "$dir/migrations" --from "$from" -o "$dir/plan.ron" --force >"$dir/out.txt"
    end=$(date +%s%N)
    if [ "$r" = 1 ]; then kind=cold; else kind=warm; fi
    echo "run $r ($kind): $(( (end - start) / 1000000 )) ms ($(grep -c '^  2024' "$dir/out.txt") migrations in the batch; $(tail -1 "$dir/out.txt"))"
done
