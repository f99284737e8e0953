"""The dashboard: static pages over the scheduler's read API, and a live feed of risk changes."""
