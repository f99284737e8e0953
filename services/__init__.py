"""Slipstream services, one package each."""
