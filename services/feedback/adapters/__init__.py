"""Feedback adapters."""
