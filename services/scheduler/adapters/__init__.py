"""Scheduler adapters."""
