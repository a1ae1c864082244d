"""Repositories: each module owns its table's SQL and maps rows to typed records.

Views never write SQL or index rows; they call these functions with a pooled connection
(``extensions.db().connection()``) and get dataclasses back.
"""
