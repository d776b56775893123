"""Benchmarks of the ledger (run them as modules: `python -m bench.append`)."""
