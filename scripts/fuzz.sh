#!/usr/bin/env bash
# The full fuzz run of POST /record: 2,000 mutated WAVs (or $1) of a fresh random seed, through the real service.
# CI runs the same test with 300 mutations of a fixed seed. To replay a run, give its seed; to replay one mutation
# of it, also give the number that starts the mutation's name:
#   FUZZ_SEED=123 scripts/fuzz.sh            FUZZ_SEED=123 FUZZ_ONLY=417 scripts/fuzz.sh
# To fuzz one kind of file, name its seeds (a regular expression over the seed names in test/fixtures/wav-mutations.ts):
#   FUZZ_SEEDS=ima-adpcm scripts/fuzz.sh     FUZZ_SEEDS=ms-adpcm scripts/fuzz.sh     FUZZ_SEEDS=gsm610 scripts/fuzz.sh
# The block-coded seeds are made by ffmpeg (apt-get install -y ffmpeg).
# Uses DATABASE_URL when set, else starts an embedded PostgreSQL (slower to start).
set -euo pipefail
cd "$(dirname "$0")/.."

count="${1:-2000}"
# 32 random bits: the generator takes the seed modulo 2^32.
seed="${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')}"
# Printed again at the end, so that it is on screen next to any failure.
trap 'echo "# fuzz: FUZZ_SEED=$seed FUZZ_COUNT=$count FUZZ_SEEDS=${FUZZ_SEEDS:-}"' EXIT
echo "# fuzz: FUZZ_SEED=$seed FUZZ_COUNT=$count FUZZ_SEEDS=${FUZZ_SEEDS:-}"

npm run build --silent
FUZZ_SEED="$seed" FUZZ_COUNT="$count" node dist/test/run.js fuzz
