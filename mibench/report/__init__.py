"""Reports built from a results table: metrics, summary tables, figures and comparisons.

Modules: :mod:`~mibench.report.load` (read a run folder or results file),
:mod:`~mibench.report.metrics` (per-group metrics, samples-to-factor),
:mod:`~mibench.report.tables` (exported and report tables), :mod:`~mibench.report.palette`
(one style per estimator label), :mod:`~mibench.report.figures` (the figures) and
:mod:`~mibench.report.compare` (regression check between two result sets).
"""
