"""Reports built from a results table: metrics, summary tables and figures."""
