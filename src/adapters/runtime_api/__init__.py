"""Adapters: the Lambda Runtime API client (`client`) and the no-op extension (`extension`).

Streamed responses (loaded on the first one only): the chunked framing and its trailers
(`chunked`), one streamed post on a connection of the client's pool (`streamed_post`), the
buffer and thread that feed it (`response_stream`), and what its end means (`stream_outcome`).

Loaded only when running against a Runtime API (the client imports urllib3): never in local mode.
"""
