"""Shared kernel: the outbox and event relay, API conventions, HTTP caching, money.

Every domain may import from here; this package imports no domain.
"""
