"""Adapters: the Lambda Runtime API client (`client`) and the no-op extension (`extension`).

Loaded only when running against a Runtime API (the client imports urllib3): never in local mode.
"""
