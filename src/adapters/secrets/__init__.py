"""Adapters: the secret stores that resolve references (Secrets Manager, Systems Manager)."""
