"""Benchmarks of mfa_app (issue 5): `make bench`, `make bench QUICK=1`. See bench/run.py."""
