#!/usr/bin/env bash
# Regenerate results/reference/quick.csv, the reference results that
# tests/test_regression_reference.py compares every change against: the quick suite with the
# classical estimators and the default MINE, n = 2000, seeds 0-2 (about a minute on 2 CPU
# cores, most of it MINE). Commit the new file together with the change that
# justifies it, and say why in the commit message.
set -euo pipefail
cd "$(dirname "$0")/.."
# One torch thread: MINE's float32 sums then do not depend on the machine's core count, and
# small critics train several times faster than with threads competing for two cores.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
run_dir="$(mktemp -d)"
trap 'rm -rf "$run_dir"' EXIT
mibench run --suite quick --estimators ksg,histogram,gaussian,mine --n 2000 --seeds 3 \
    --device cpu --run-dir "$run_dir" --quiet
cp "$run_dir/results.csv" results/reference/quick.csv
echo "wrote results/reference/quick.csv ($(($(wc -l < results/reference/quick.csv) - 1)) rows)"
