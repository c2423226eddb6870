"""Periodic jobs of the SOC (registered with core.schedule; the worker runs them)."""
