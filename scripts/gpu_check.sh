#!/usr/bin/env bash
# GPU check of the neural estimators: one command for a machine with a CUDA device.
#
# Runs every GPU-marked test (`pytest -m gpu`, e.g. tests/test_neural_gpu.py) and the neural
# throughput benchmarks (tests/perf/test_perf_neural.py) on `cuda`, and writes their figures
# to OUT_DIR:
#   device.txt         torch version and GPU name
#   gpu_tests.txt      pytest output of the GPU tests (gpu_tests.xml: JUnit)
#   benchmarks.json    pytest-benchmark JSON (extra_info holds every figure)
#   figures.md         throughput table with the ratio columns (scripts/benchmark_table.py)
#
# Usage: scripts/gpu_check.sh [OUT_DIR]
#   OUT_DIR defaults to $OUT when set, else results/runs/gpu_check (an ignored run folder).
# Environment: PYTHON (default: python). Exit status: 0 when the tests pass, 2 without CUDA.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-results/runs/gpu_check}}"
py="${PYTHON:-python}"
mkdir -p "$out"

"$py" - >"$out/device.txt" <<'PY'
import torch
cuda = torch.cuda.is_available()
print(f"torch {torch.__version__}, CUDA available: {cuda}")
if cuda:
    print(f"device: {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}")
PY
cat "$out/device.txt"
if ! "$py" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: no CUDA device here; nothing was run" >&2
    exit 2
fi

export MIBENCH_BENCH_DEVICE=cuda
"$py" -m pytest -m gpu -rA -p no:cacheprovider --junitxml="$out/gpu_tests.xml" 2>&1 \
    | tee "$out/gpu_tests.txt"
tests_status=${PIPESTATUS[0]}

"$py" -m pytest tests/perf/test_perf_neural.py -o addopts="" --benchmark-only -q \
    -p no:cacheprovider --benchmark-json="$out/benchmarks.json" 2>&1 | tee "$out/benchmarks.txt"
bench_status=${PIPESTATUS[0]}
if [ -s "$out/benchmarks.json" ]; then
    "$py" scripts/benchmark_table.py "$out/benchmarks.json" --output "$out/figures.md"
    "$py" - "$out/benchmarks.json" >>"$out/figures.md" <<'PY'
import json, sys
print("\nextra_info per benchmark:\n")
for bench in json.load(open(sys.argv[1]))["benchmarks"]:
    info = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in bench["extra_info"].items())
    print(f"- {bench['name']}: {info}")
PY
    cat "$out/figures.md"
fi
echo "gpu_check: GPU tests exit $tests_status, benchmarks exit $bench_status; figures in $out"
[ "$tests_status" -eq 0 ] && [ "$bench_status" -eq 0 ]
