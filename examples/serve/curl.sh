#!/usr/bin/env bash
# The endpoints of elmo serve (docs/serve.md) with curl; the server runs on $URL (default http://127.0.0.1:8080).
set -euo pipefail
URL=${URL:-http://127.0.0.1:8080}
json=(-H 'Content-Type: application/json')

# OpenAI's embeddings: one sentence vector per input (the mean over tokens of the average of the layers).
curl -s "$URL/v1/embeddings" "${json[@]}" -d '{"model": "default", "input": ["The bank of the river.", "I went to the bank."]}' | cut -c1-300

# Native: per-token vectors of the top layer for pre-split tokens.
curl -s "$URL/embed" "${json[@]}" -d '{"tokens": [["The", "bank", "of", "the", "river"]], "layers": "top"}' | cut -c1-300

# Native, binary float32 (header "ELMO", version, sentences, layers, D, pooled; then n and the floats per sentence).
curl -s "$URL/embed" "${json[@]}" -H 'Accept: application/octet-stream' -d '{"input": "The bank of the river.", "layers": "all"}' | xxd -l 48

# An error in OpenAI's shape (400, naming the input).
curl -s "$URL/v1/embeddings" "${json[@]}" -d '{"input": ["fine", ""]}'; echo

# The model, probes and metrics.
curl -s "$URL/v1/models"; echo
curl -s "$URL/ready"
curl -s "$URL/metrics" | grep -E '^elmo_(embedded_tokens_total|batch_sentences_(sum|count)|token_cache_hit_ratio)'
