#!/usr/bin/env bash
# Measures sharded embedding (docs/scale-out.md, bench/README.md "Sharded embed and merge"): one `elmo embed` of the
# first SENTENCES Brown sentences against the same input in 4 shards run one after another (model load included in
# both), alternating, REPEATS times; then `elmo merge` of the shards from a warm page cache (run twice, the second
# timed), checked bit-identical. Wall time and CPU time (user + system) of each; the CPU time is the steadier figure
# on a shared machine. Usage: bench/shard.sh [SENTENCES (20000)] [REPEATS (3)] [embed options...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sentences=${1:-20000}
repeats=${2:-3}
shift $(($# > 2 ? 2 : $#))
brown=${ELMONATIVE_BROWN:-$root/data/brown/brown.txt}
[ -f "$brown" ] || "$root/tools/fetch-brown.sh"
"$root/elmo" --help >/dev/null # build once
work=$(mktemp -d /tmp/elmo-shard-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
head -n "$sentences" "$brown" > "$work/input.txt"
TIMEFORMAT='%R %U %S'

timed() { # prints "wall cpu" of the command
  local t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' <<<"$t"
}
one() { "$root/elmo" embed --input "$work/input.txt" --output "$work/single.hdf5" --force --quiet "$@"; }
four() {
  rm -rf "$work/shards"
  for k in 0 1 2 3; do "$root/elmo" embed --input "$work/input.txt" --output "$work/shards" --shard "$k/4" --quiet "$@"; done
}

echo "input: $sentences sentences, $(wc -c < "$work/input.txt") bytes; options: ${*:-(defaults)}"
for ((r = 1; r <= repeats; r++)); do
  read -r w1 c1 < <(timed one "$@")
  read -r w4 c4 < <(timed four "$@")
  awk -v r="$r" -v w1="$w1" -v c1="$c1" -v w4="$w4" -v c4="$c4" 'BEGIN {
    printf "run %d: one embed %6.2f s wall %6.2f s CPU | 4 shards %6.2f s wall %6.2f s CPU | shards/one: wall %+.1f%%, CPU %+.1f%%\n",
           r, w1, c1, w4, c4, 100 * (w4 / w1 - 1), 100 * (c4 / c1 - 1) }'
done
bytes=$(du -cb "$work"/shards/*.hdf5 | tail -n 1 | cut -f 1)
"$root/elmo" merge --output "$work/merged.hdf5" --force --quiet "$work/shards"
read -r wm cm < <(timed "$root/elmo" merge --output "$work/merged.hdf5" --force --quiet "$work/shards")
cmp "$work/single.hdf5" "$work/merged.hdf5"
awk -v b="$bytes" -v w="$wm" -v c="$cm" 'BEGIN { printf "merge: %.0f MB of shards in %.2f s wall (%.2f s CPU): %.0f MB/s, bit-identical to one embed\n", b / 1e6, w, c, b / 1e6 / w }'
