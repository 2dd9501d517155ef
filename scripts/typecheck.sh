#!/usr/bin/env bash
# Type-check mibench as it installs: tasks/ and baselines/ become mibench.tasks and
# mibench.baselines only in an installed copy (pyproject's package-dir), which an editable
# install does not give mypy. So: a regular install of the working tree into a temporary
# folder, mypy there with this repository's configuration, and error paths mapped back to the
# repository's files. Usage: scripts/typecheck.sh [python]  (default: the python on PATH).
# MYPY_CACHE_DIR sets where mypy keeps its incremental cache (default: .mypy_cache here).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-python}"
case "$python" in */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;; esac
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
"$python" -m pip install --quiet --no-deps --target "$copy/site" "$repo"
cd "$copy/site"
status=0
"$python" -m mypy --config-file "$repo/pyproject.toml" --cache-dir "${MYPY_CACHE_DIR:-$repo/.mypy_cache}" -p mibench \
    > "$copy/report.txt" 2>&1 || status=$?
sed -e 's#^mibench/tasks/#tasks/#' -e 's#^mibench/baselines/#baselines/#' "$copy/report.txt"
exit "$status"
