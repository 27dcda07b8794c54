"""Adapters: what the AWS JSON API clients share: the SigV4 signer, the trusted authorities."""
