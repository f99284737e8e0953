"""Notifier integration tests."""
