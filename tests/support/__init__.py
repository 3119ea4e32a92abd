"""Harness shared by the tests and the benchmarks (test worlds, live-stack drivers)."""
