"""Benchmarks: printed figures and ratios, never pass/fail on time (the machine is noisy)."""
