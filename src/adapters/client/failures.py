"""Adapter: botocore's exceptions translated into the outcomes `--invoke` reports.

What matters to a caller is whether the request left this machine: a configuration error
or a refused connection means the function never ran; a connection lost after sending
means it may have.
"""

from __future__ import annotations

from ...domain.remote_outcome import (
    ConnectionLost,
    InvokeOutcome,
    NotSent,
    NotSentReason,
    Refused,
)


def outcome_of_request_error(error: Exception) -> InvokeOutcome | None:
    """The outcome of an error raised while sending the request; None if not botocore's."""
    from botocore import exceptions  # noqa: PLC0415 - loaded with boto3, by the client only

    if isinstance(error, exceptions.ClientError):
        details = error.response.get("Error", {})
        metadata = error.response.get("ResponseMetadata", {})
        return Refused(
            code=details.get("Code") or "Unknown",
            message=details.get("Message") or str(error),
            http_status=metadata.get("HTTPStatusCode"),
            request_id=metadata.get("RequestId"),
        )
    if isinstance(error, exceptions.ConnectionError):  # no connection: nothing was sent
        return NotSent(reason=NotSentReason.UNREACHABLE, message=str(error))
    if isinstance(error, exceptions.HTTPClientError):  # sent, then the connection broke
        return ConnectionLost(message=str(error))
    if isinstance(error, exceptions.BotoCoreError):  # credentials, region, profile, parameters
        return NotSent(reason=NotSentReason.NOT_CONFIGURED, message=str(error))
    return None


def outcome_of_answer_error(error: Exception, request_id: str | None) -> InvokeOutcome | None:
    """The outcome of an error raised while the answer was read: the request was sent."""
    from botocore import exceptions  # noqa: PLC0415
    from botocore.eventstream import ParserError  # noqa: PLC0415
    from urllib3.exceptions import HTTPError  # noqa: PLC0415

    if isinstance(error, exceptions.EventStreamError):  # an error event in the stream
        details = error.response.get("Error", {})
        message = f"{details.get('Code') or 'Unknown'}: {details.get('Message') or error}"
        return ConnectionLost(message=message, request_id=request_id)
    if isinstance(error, exceptions.BotoCoreError | ParserError | HTTPError | OSError):
        return ConnectionLost(message=str(error) or type(error).__name__, request_id=request_id)
    return None
