#!/usr/bin/env bash
# Compares the end-to-end speed of two builds side by side in one run: a git revision (default: main's first parent
# before HEAD) against the working tree. The two builds are run alternately, ROUNDS times each, so that the machine's
# drift (other load, turbo, page cache) falls on both; the medians are printed.
#   bench/compare.sh [REV] [ROUNDS]        e.g. bench/compare.sh 799e5ae 5
# Needs the Brown corpus in data/brown (tools/fetch-brown.sh). Measures: e2e small (tokens/s), e2e original
# (tokens/s over 300 sentences) and train-speed tiny (tokens/s per direction).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rev="${1:-HEAD~1}"
rounds="${2:-5}"
base="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$base" >/dev/null 2>&1 || true' EXIT
git -C "$root" worktree add -q --detach "$base" "$rev"
[ -e "$root/data" ] && ln -s "$root/data" "$base/data"
echo "building $rev and the working tree (Release)..." >&2
dotnet build "$base/bench/ElmoNative.Bench" -c Release -v quiet --nologo >/dev/null
dotnet build "$root/bench/ElmoNative.Bench" -c Release -v quiet --nologo >/dev/null
dll=bench/ElmoNative.Bench/bin/Release/net10.0/ElmoNative.Bench.dll

measure() { # folder -> "small original train"
  cd "$1"
  local small original train
  small=$(dotnet "$dll" e2e --preset small | awk '/^throughput/ {print $2}')
  original=$(dotnet "$dll" e2e --preset original --sentences 300 | awk '/^throughput/ {print $2}')
  train=$(dotnet "$dll" train-speed --config tiny | grep -o '[0-9]* tokens/s' | awk '{print $1}')
  echo "$small $original $train"
}

old=(); new=()
for ((r = 1; r <= rounds; r++)); do
  o=$(measure "$base"); n=$(measure "$root")
  echo "round $r  old: $o   new: $n" >&2
  old+=("$o"); new+=("$n")
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf '%-22s %10s %10s %7s\n' measure "$rev" "working" ratio
names=("e2e small tok/s" "e2e original tok/s" "train tiny tok/s")
for i in 0 1 2; do
  mo=$(printf '%s\n' "${old[@]}" | awk -v k=$((i + 1)) '{print $k}' | median)
  mn=$(printf '%s\n' "${new[@]}" | awk -v k=$((i + 1)) '{print $k}' | median)
  printf '%-22s %10s %10s %6.1f%%\n' "${names[$i]}" "$mo" "$mn" "$(awk -v a="$mn" -v b="$mo" 'BEGIN {print 100 * a / b}')"
done
