"""Robustness suites: bad input, fuzzing, concurrency, security properties and leaks."""
