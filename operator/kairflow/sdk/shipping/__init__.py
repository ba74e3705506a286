"""Shipping a Python callable to a task: its source, the names it needs, the call."""
