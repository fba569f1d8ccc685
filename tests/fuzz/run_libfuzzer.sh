#!/usr/bin/env bash
# run_libfuzzer.sh FUZZER CORPUS WORKDIR SECONDS — one bounded libFuzzer run (the CTest test
# <name>_libfuzzer, tests/fuzz/tests.cmake).
# Starts from the committed corpus (read only: what libFuzzer finds new goes to WORKDIR/corpus,
# kept between runs of the same build dir), runs for SECONDS, and prints libFuzzer's final
# stats (exec/s, coverage). A crash, a sanitizer report, a leak, an input slower than 10 s or
# over 2 GB fails the test; the input is saved under WORKDIR/ and its path printed: commit it to
# CORPUS with the fix (the plain <name>_fuzz test replays it on every build from then on).
set -uo pipefail
fuzzer=$1 corpus=$2 work=$3 seconds=$4
mkdir -p "$work/corpus"
"$fuzzer" "$work/corpus" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" 2>&1 | tee "$work/last-run.log" |
  grep -E "^(INFO: Seed|stat::|#[0-9]+ *DONE)|ERROR|SUMMARY|Test unit written|invariant failed|^==[0-9]+==" 
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "$(basename "$fuzzer"): failed (exit $status); full log: $work/last-run.log"
  echo "commit the input named above to $corpus/ (e.g. crash-<what>) together with its fix"
fi
exit "$status"
