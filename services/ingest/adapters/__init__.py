"""Adapters: the outside world as the ingest ports want it."""
