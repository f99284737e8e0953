"""Feedback's pure domain: who a customer is, which organisation they speak for, how much a
piece of feedback matters, and the weighted demand waiting on a work item.

Modules by idea: ``customers`` (one person across tools), ``organisations`` (who they speak
for, never a public mail domain), ``importance`` (0-3 per piece), ``demand`` (the score).
"""
