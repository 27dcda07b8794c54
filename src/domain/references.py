"""Domain: CloudFormation's dynamic references, `{{resolve:...}}`, in the child's variables.

`{{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]}}`
and `{{resolve:ssm:NAME[:VERSION]}}` (`ssm-secure` a synonym), anywhere in a value. Parsing
only: what a value refers to, and the value with the references replaced. Text that looks
like `{{...}}` but does not start with `{{resolve:` is not a reference.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .environment import REFERENCE_OPENING

OPENING = REFERENCE_OPENING
CLOSING = "}}"
SECRET_STRING = "SecretString"  # noqa: S105 - the kind of secret, not one
SECRETS_MANAGER = "secretsmanager"
PARAMETER_STORE = ("ssm", "ssm-secure")
# An ARN has six colon-separated parts before the resource's own: arn:aws:ssm:REGION:ACCOUNT:
# then `parameter/NAME`; Secrets Manager's puts the name in a seventh (`secret:NAME-AbCdEf`).
_ARN_PARTS = {SECRETS_MANAGER: 7, "ssm": 6}


class MalformedReference(ValueError):  # noqa: N818 - reads as what it is
    """The text after `{{resolve:` is not a reference; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Secret:
    """One version of a Secrets Manager secret: one `GetSecretValue` call."""

    id: str
    version_stage: str | None = None
    version_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One version of a Systems Manager parameter: one `GetParameter` call, decrypted."""

    name: str
    version: str | None = None

    @property
    def selector(self) -> str:
        """The `Name` GetParameter takes: `NAME` or `NAME:VERSION`."""
        return self.name if self.version is None else f"{self.name}:{self.version}"


Source = Secret | Parameter


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """One `{{resolve:...}}` as written (`text`), what it fetches, and the JSON key it picks."""

    text: str
    source: Source
    json_key: str | None = None


def references_in(value: str) -> Iterator[tuple[int, int, Reference]]:
    """Each reference in `value` with where it starts and ends; raises `MalformedReference`."""
    position = 0
    while (start := value.find(OPENING, position)) >= 0:
        end = value.find(CLOSING, start + len(OPENING))
        if end < 0:
            # Only where it starts: what follows may be the rest of the value, a secret.
            raise MalformedReference(
                f"The reference at character {start + 1} ({OPENING}...) has no closing '}}}}'"
            )
        end += len(CLOSING)
        text = value[start:end]
        yield start, end, parse(text)
        position = end


def substitute(value: str, values: Mapping[str, str]) -> str:
    """`value` with each reference replaced by `values[reference.text]`."""
    pieces: list[str] = []
    position = 0
    for start, end, reference in references_in(value):
        pieces += (value[position:start], values[reference.text])
        position = end
    pieces.append(value[position:])
    return "".join(pieces)


def parse(text: str) -> Reference:
    """`{{resolve:SERVICE:...}}` as a `Reference`; raises `MalformedReference`."""
    body = text[len(OPENING) : -len(CLOSING)]
    service, _, rest = body.partition(":")
    if service == SECRETS_MANAGER:
        return _secret(text, _split(rest, _ARN_PARTS[SECRETS_MANAGER]))
    if service in PARAMETER_STORE:
        return _parameter(text, _split(rest, _ARN_PARTS["ssm"]))
    raise MalformedReference(
        f"{text} names the service {service!r}: use secretsmanager, ssm or ssm-secure"
    )


def _secret(text: str, parts: list[str]) -> Reference:
    usage = "{{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:STAGE[:VERSION-ID]]]]}}"
    if not parts[0]:
        raise MalformedReference(f"{text} names no secret: write {usage}")
    if len(parts) > 5:
        raise MalformedReference(f"{text} has too many parts: write {usage}")
    secret_id, kind, json_key, stage, version_id = parts + [""] * (5 - len(parts))
    if kind not in ("", SECRET_STRING):
        raise MalformedReference(
            f"{text} asks for {kind!r}: only SecretString can be resolved (write {usage})"
        )
    source = Secret(id=secret_id, version_stage=stage or None, version_id=version_id or None)
    return Reference(text=text, source=source, json_key=json_key or None)


def _parameter(text: str, parts: list[str]) -> Reference:
    usage = "{{resolve:ssm:NAME[:VERSION]}}"
    if not parts[0]:
        raise MalformedReference(f"{text} names no parameter: write {usage}")
    if len(parts) > 2:
        raise MalformedReference(f"{text} has too many parts: write {usage}")
    version = parts[1] if len(parts) == 2 else ""
    return Reference(text=text, source=Parameter(name=parts[0], version=version or None))


def _split(rest: str, arn_parts: int) -> list[str]:
    """The `:`-separated parts, an ARN (which has colons of its own) kept whole as the first."""
    parts = rest.split(":")
    if parts[0] == "arn" and len(parts) >= arn_parts:
        return [":".join(parts[:arn_parts]), *parts[arn_parts:]]
    return parts
