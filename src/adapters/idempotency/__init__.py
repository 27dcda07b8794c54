"""Adapters: idempotency stores (DynamoDB, and an in-memory fake) and the stored outcomes."""
