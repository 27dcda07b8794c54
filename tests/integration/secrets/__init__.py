"""Integration: the secret store against local Secrets Manager and Systems Manager servers."""
