"""Sigma v2 detection core: pySigma parses, this package compiles and evaluates (pure Python)."""
