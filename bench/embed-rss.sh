#!/usr/bin/env bash
# The resident set of `elmo embed` over a long input, sampled while it runs (bench/README.md, "A flat resident set").
# Usage: bench/embed-rss.sh MODEL_DIR INPUT [SECONDS=300] [EVERY=20] [extra elmo embed options...]
# Prints every EVERY seconds: VmRSS and its parts from /proc/PID/smaps (the garbage collector's address range, other
# anonymous memory: the weights and native buffers; file-backed: the runtime's code), then the peak (VmHWM).
# The embed is stopped with SIGTERM at the end (it leaves no output file); needs the Release build of the CLI:
#   dotnet build -c Release tools/ElmoNative.Cli
set -euo pipefail
model=$1 input=$2 seconds=${3:-300} every=${4:-20}
shift $(( $# < 4 ? $# : 4 ))
root=$(cd "$(dirname "$0")/.." && pwd)
output=$(mktemp -u /tmp/embed-rss.XXXXXX.hdf5)
dotnet "$root/tools/ElmoNative.Cli/bin/Release/net10.0/elmo.dll" embed --model "$model" --input "$input" --output "$output" --force "$@" 2>/dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; rm -f "$output"' EXIT
parts() {
  python3 - "$1" <<'PY'
import re, sys
maps = []
for line in open(f"/proc/{sys.argv[1]}/smaps"):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$", line)
    if m:
        maps.append({"a": int(m.group(1), 16), "b": int(m.group(2), 16), "name": m.group(3).strip(), "rss": 0})
    elif line.startswith("Rss:"):
        maps[-1]["rss"] = int(line.split()[1])
maps.sort(key=lambda m: m["a"])
# The GC reserves one huge range (256 GB of address space) and commits regions inside it: the unnamed mappings
# contiguous with the huge one are the managed heap.
gc = set()
for i, m in enumerate(maps):
    if m["b"] - m["a"] >= 32 << 30:
        gc.add(i)
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(maps) and not maps[j]["name"] and (maps[j]["b"] == maps[j + 1]["a"] if step < 0 else maps[j]["a"] == maps[j - 1]["b"]):
                gc.add(j)
                j += step
def mb(xs): return sum(m["rss"] for m in xs) / 1024
files = [m for m in maps if m["name"].startswith("/") or "memfd" in m["name"]]
other = [m for i, m in enumerate(maps) if i not in gc and m not in files]
print(f"managed (GC range) {mb(maps[i] for i in gc):.1f} MB, other anonymous {mb(other):.1f} MB, file-backed {mb(files):.1f} MB")
PY
}
for ((t = every; t <= seconds; t += every)); do
  sleep "$every"
  kill -0 $pid 2>/dev/null || { echo "elmo embed ended before $t s"; exit 1; }
  echo "t=$t s  rss $(( $(awk '/VmRSS/{print $2}' /proc/$pid/status) / 1024 )) MB  $(parts $pid)"
done
echo "peak (VmHWM) $(( $(awk '/VmHWM/{print $2}' /proc/$pid/status) / 1024 )) MB"
