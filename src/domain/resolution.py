"""Domain: the child's variables with their references resolved, and the port that fetches them.

Every value is parsed before anything is fetched, so a malformed reference costs no call;
each secret or parameter (with its version) is fetched once however many references name it;
the values put in are returned to be masked. Failures name the variable and the reference,
never a value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .command import os_bytes
from .environment import holds_reference
from .errors import ReferenceNotResolved
from .references import MalformedReference, Reference, Source, references_in
from .references import substitute as _substitute


class SecretStore(Protocol):
    """Fetches what references name: Secrets Manager and Systems Manager, or a fake.

    Contract: `fetch` returns a secret's `SecretString` (of the version asked for) or a
    parameter's value (decrypted). Anything else raises `ReferenceNotResolved` with a message
    saying what went wrong (AWS's error code and message, the endpoint not reachable), which
    never holds a value. It may be called from several threads at once.
    """

    def fetch(self, source: Source) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """The environment with every reference replaced, and the values that replaced them."""

    environment: dict[str, str]
    values: tuple[str, ...] = ()

    @property
    def mask(self) -> tuple[bytes, ...]:
        """The values as the executor masks them (`os_bytes`)."""
        return tuple(os_bytes(value) for value in self.values if value)


def resolve(environment: Mapping[str, str], store: SecretStore) -> Resolved:
    """`environment` with its references resolved through `store`.

    Raises `ReferenceNotResolved` (naming the variable and the reference) for the first one
    that cannot be: malformed, not found, refused, no such JSON key, unreachable.
    """
    found: dict[str, list[Reference]] = {}
    for name, value in environment.items():
        if holds_reference(value):
            try:
                found[name] = [reference for _, _, reference in references_in(value)]
            except MalformedReference as error:
                raise ReferenceNotResolved(
                    f"The variable {name} holds a malformed reference: {error}. "
                    "The command was not run."
                ) from None
    fetched: dict[Source, str] = {}
    values: dict[str, str] = {}
    for name, references in found.items():
        for reference in references:
            if reference.text not in values:
                values[reference.text] = _value(name, reference, store, fetched)
    resolved = dict(environment)
    for name in found:
        resolved[name] = _substitute(environment[name], values)
    return Resolved(environment=resolved, values=tuple(values.values()))


def _value(name: str, reference: Reference, store: SecretStore, fetched: dict[Source, str]) -> str:
    try:
        if reference.source not in fetched:
            fetched[reference.source] = store.fetch(reference.source)
        value = pick(fetched[reference.source], reference.json_key)
    except ReferenceNotResolved as error:
        why = str(error).rstrip()
        raise ReferenceNotResolved(
            f"The variable {name}'s reference {reference.text} could not be resolved: "
            f"{why}{'' if why.endswith('.') else '.'} The command was not run."
        ) from None
    if "\0" in value:
        raise ReferenceNotResolved(
            f"The variable {name}'s reference {reference.text} resolves to a value with a NUL "
            "character, which no environment variable can hold. The command was not run."
        )
    return value


def pick(secret: str, json_key: str | None) -> str:
    """The secret string, or with `json_key` that key's value in it (a JSON object)."""
    if json_key is None:
        return secret
    try:
        document = json.loads(secret)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ReferenceNotResolved(
            f"the secret is not a JSON object, so it has no key {json_key!r}."
        )
    if json_key not in document:
        raise ReferenceNotResolved(f"the secret has no JSON key {json_key!r}.")
    value = document[json_key]
    # CloudFormation gives a key's value as text: a string as it is, anything else as JSON.
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
