"""Slipstream's common library: event contracts, subjects, settings and plumbing."""
