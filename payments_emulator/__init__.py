"""A local stand-in for Stripe: the subset of its HTTP API the shop uses, served on loopback.

It is the outside world, not part of the Django project: the shop talks to it only through the
official ``stripe`` SDK (``STRIPE_API_BASE`` points the SDK here), exactly as it would talk to
Stripe. State lives in its own SQLite file so a restart keeps intents, refunds, idempotency
records and undelivered webhooks. See docs/payments.md for the supported subset and deviations.
"""
