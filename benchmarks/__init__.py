"""asv benchmarks of mibench: accuracy (``track_``), speed (``time_``) and memory (``peakmem_``).

Run them in the current environment with ``asv run --python=same --quick``; see
``docs/regression.md`` for recording two commits and comparing them.
"""
