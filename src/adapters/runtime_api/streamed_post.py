"""Adapter: one streamed POST to the Runtime API, its chunked body framed by hand.

urllib3 (and http.client beneath it) can frame a chunked body but cannot end it with trailers,
which a failed streamed response needs. So the request is written on a connection taken from
the client's own pool (`_get_conn`/`_put_conn`: urllib3 has no public way to borrow one), with
http.client's `putrequest`/`putheader`/`endheaders`/`send`, and its answer is read with
http.client. The failures, by how far the post got::

    TransportError
    ├── StreamUnreachedError   nothing reached the API: no connection, or the headers failed
    ├── StreamCutError         the body was cut off before its end: the API cannot have taken it
    └── StreamLostError        the body ended but no answer came: the API may have taken it
"""

from __future__ import annotations

import http.client
import select
from collections.abc import Mapping
from dataclasses import dataclass

import urllib3
from urllib3.connection import HTTPConnection
from urllib3.exceptions import HTTPError

from ...domain.errors import TransportError
from .chunked import chunk, last_chunk


class StreamUnreachedError(TransportError):
    """The streamed post could not begin: nothing of it reached the API."""


class StreamCutError(TransportError):
    """The connection broke (or stalled) before the body's end was sent."""


class StreamLostError(TransportError):
    """The body's end was sent, but the API dropped the connection or did not answer."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The API's answer to a streamed post: its status and the start of its body."""

    status: int
    excerpt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    connect: float
    send: float  # for each write: longer without progress and the stream counts as cut
    answer: float  # for the answer once the body has ended


class StreamedPost:
    """A POST whose body is sent chunk by chunk as it comes; `end` closes it and reads the answer.

    Raises `StreamUnreachedError` when it cannot begin. After a `StreamCutError` or
    `StreamLostError`, or an early `Answer` from `send`, nothing more may be sent. `close`
    gives the connection back to the pool, or drops it when it cannot be reused.
    """

    def __init__(
        self,
        pool: urllib3.HTTPConnectionPool,
        path: str,
        headers: Mapping[str, str],
        timeouts: Timeouts,
    ) -> None:
        self._pool = pool
        self._path = path
        self._timeouts = timeouts
        self._reusable = False
        connection = pool._get_conn()  # see the module docstring
        assert isinstance(connection, HTTPConnection), "the Runtime API is plain HTTP"
        self._connection = connection
        try:
            if connection.sock is None:
                connection.timeout = timeouts.connect
                connection.connect()
            connection.sock.settimeout(timeouts.send)
            connection.putrequest("POST", path, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
        except (OSError, HTTPError, http.client.HTTPException) as error:
            self.close()
            raise StreamUnreachedError(f"POST {path}: cannot reach the API: {error}") from error

    def send(self, data: bytes) -> Answer | None:
        """Send `data` as one chunk; returns the API's answer if it answered early instead."""
        answer = self._early_answer()
        if answer is not None:
            return answer
        try:
            self._connection.send(chunk(data))
        except OSError as error:
            return self._answer_after(error)
        return None

    def end(self, trailers: Mapping[str, str] | None) -> Answer:
        """Send the last chunk (with `trailers`) and wait for the answer."""
        answer = self._early_answer()
        if answer is not None:
            return answer
        try:
            self._connection.send(last_chunk(trailers))
        except OSError as error:
            return self._answer_after(error)
        self._connection.sock.settimeout(self._timeouts.answer)
        try:
            answer = self._read_answer()
        except (OSError, http.client.HTTPException) as error:
            raise StreamLostError(
                f"POST {self._path}: no answer after the streamed response ended: {error!r}"
            ) from error
        self._reusable = answer.status == 202 and not trailers
        return answer

    def close(self) -> None:
        if not self._reusable:
            self._connection.close()
        # The pool holds one connection (or None, for one to be opened when next needed).
        self._pool._put_conn(self._connection if self._reusable else None)

    def _early_answer(self) -> Answer | None:
        """The API's answer, if it sent one (or hung up) before the body ended."""
        poller = select.poll()  # not select(): no limit on the fd's number
        poller.register(self._connection.sock, select.POLLIN)
        return self._answer_after(None) if poller.poll(0) else None

    def _answer_after(self, fault: OSError | None) -> Answer:
        """Read an answer that came before the body's end; `StreamCutError` when there is none."""
        try:
            if isinstance(fault, TimeoutError):  # a stalled API: no answer to wait for either
                raise fault
            self._connection.sock.settimeout(self._timeouts.answer)
            return self._read_answer()
        except (OSError, http.client.HTTPException) as error:
            cause = fault or error
            raise StreamCutError(
                f"POST {self._path}: the connection broke during the streamed response: {cause!r}"
            ) from cause

    def _read_answer(self) -> Answer:
        # http.client's own getresponse: urllib3's override expects a request it sent itself.
        response = http.client.HTTPConnection.getresponse(self._connection)
        body = response.read()
        return Answer(response.status, body[:200].decode("utf-8", "replace"))
