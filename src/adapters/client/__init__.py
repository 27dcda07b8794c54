"""Adapters: the client side of Lambda, invoking functions with boto3 (an optional extra).

boto3 is imported only when a client is built: the runtime's paths never load it.
"""
