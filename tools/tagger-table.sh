#!/usr/bin/env bash
# Reproduces the accuracy table of docs/tagger.md: part-of-speech taggers on the ELMo vectors of models/default, trained
# on the Brown training split, best epoch picked on valid, scored on test (the shipped model's split, tools/fetch-brown.sh).
# Usage: tools/tagger-table.sh [TAGSET] [EPOCHS] [OUT_DIR] [HIDDEN]
#   TAGSET brown or universal; defaults brown 5 runs/tagger 0 (HIDDEN > 0: a hidden ReLU layer of that many units)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tagset=${1:-brown}
epochs=${2:-5}
out=${3:-$root/runs/tagger}
hidden=${4:-0}
suffix=""; [ "$hidden" -gt 0 ] && suffix="-hidden$hidden"
data=$root/data/brown
[ -f "$data/train.tagged.txt" ] || data=${ELMONATIVE_BROWN:-/work/data/brown}
elmo=${ELMO:-$root/elmo}   # ELMO=path/to/a/launcher to use another build
mkdir -p "$out"
[ -d "$out/random-default" ] || "$elmo" random-checkpoint --options "$root/models/default/options.json" --seed 1 --output "$out/random-default" --quiet

run() { echo "+ $*" >&2; "$@"; }
run "$elmo" tagger baseline --tagset "$tagset" --train "$data/train.tagged.txt" --input "$data/test.tagged.txt"
for mix in layer0 top learned; do
  run "$elmo" tagger train --tagset "$tagset" --mix "$mix" --epochs "$epochs" --hidden "$hidden" --model "$root/models/default" \
      --train "$data/train.tagged.txt" --valid "$data/valid.tagged.txt" --output "$out/$tagset-$mix$suffix.tagger" --force
done
run "$elmo" tagger train --tagset "$tagset" --mix learned --epochs "$epochs" --hidden "$hidden" --model "$out/random-default" \
    --train "$data/train.tagged.txt" --valid "$data/valid.tagged.txt" --output "$out/$tagset-random-learned$suffix.tagger" --force
for mix in layer0 top learned; do
  run "$elmo" tagger eval --model "$root/models/default" --tagger "$out/$tagset-$mix$suffix.tagger" --input "$data/test.tagged.txt"
done
run "$elmo" tagger eval --model "$out/random-default" --tagger "$out/$tagset-random-learned$suffix.tagger" --input "$data/test.tagged.txt"
run "$elmo" tagger eval --model "$root/models/default" --tagger "$out/$tagset-learned$suffix.tagger" --compare "$out/$tagset-layer0$suffix.tagger" \
    --input "$data/test.tagged.txt"
