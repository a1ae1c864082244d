"""Stacks of the management and security/logs accounts."""
