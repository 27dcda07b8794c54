"""Adapters: the transports, the process executor and the wire format."""
