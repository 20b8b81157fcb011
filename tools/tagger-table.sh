#!/usr/bin/env bash
# Reproduces the accuracy table of docs/tagger.md: part-of-speech taggers on the ELMo vectors of models/default, trained
# on the Brown training split, best epoch picked on valid, scored on test (the shipped model's split, tools/fetch-brown.sh).
# Usage: tools/tagger-table.sh [TAGSET] [EPOCHS] [OUT_DIR]     (TAGSET brown or universal; defaults brown 5 runs/tagger)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tagset=${1:-brown}
epochs=${2:-5}
out=${3:-$root/runs/tagger}
data=$root/data/brown
[ -f "$data/train.tagged.txt" ] || data=${ELMONATIVE_BROWN:-/work/data/brown}
elmo=${ELMO:-$root/elmo}   # ELMO=path/to/a/launcher to use another build
mkdir -p "$out"
[ -d "$out/random-default" ] || "$elmo" random-checkpoint --options "$root/models/default/options.json" --seed 1 --output "$out/random-default" --quiet

run() { echo "+ $*" >&2; "$@"; }
run "$elmo" tagger baseline --tagset "$tagset" --train "$data/train.tagged.txt" --input "$data/test.tagged.txt"
for mix in layer0 top learned; do
  run "$elmo" tagger train --tagset "$tagset" --mix "$mix" --epochs "$epochs" --model "$root/models/default" \
      --train "$data/train.tagged.txt" --valid "$data/valid.tagged.txt" --output "$out/$tagset-$mix.tagger" --force
done
run "$elmo" tagger train --tagset "$tagset" --mix learned --epochs "$epochs" --model "$out/random-default" \
    --train "$data/train.tagged.txt" --valid "$data/valid.tagged.txt" --output "$out/$tagset-random-learned.tagger" --force
for mix in layer0 top learned; do
  run "$elmo" tagger eval --model "$root/models/default" --tagger "$out/$tagset-$mix.tagger" --input "$data/test.tagged.txt"
done
run "$elmo" tagger eval --model "$out/random-default" --tagger "$out/$tagset-random-learned.tagger" --input "$data/test.tagged.txt"
run "$elmo" tagger eval --model "$root/models/default" --tagger "$out/$tagset-learned.tagger" --compare "$out/$tagset-layer0.tagger" \
    --input "$data/test.tagged.txt"
