"""Hypothesis strategies that write event JSON as text, the way a hostile invoker can.

`json.dumps` of Python objects never writes a lone surrogate escape, `NaN`, `1e999` or an
integer too long to parse; an invoker's JSON text can, in any field, in environment names and
values. These strategies write the text itself, so such values reach the decoder as they would.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from run_command_on_aws_lambda.domain.event import (
    COMMAND_FIELDS,
    EVENT_FIELDS,
    IDEMPOTENCY_KEY_FIELD,
    ON_DELETE_FIELD,
    TERRAFORM_KEY,
)

SHORT_ESCAPES = ('\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t")
# Lone surrogates of both halves (\udcXX stands for a raw byte), a pair, NUL and controls.
HOSTILE_ESCAPES = (
    "\\ud800",
    "\\udbff",
    "\\udc80",
    "\\udcff",
    "\\udfff",
    "\\ud83d\\ude00",
    "\\u0000",
    "\\u001f",
    "\\u007f",
    "\\u0085",
    "\\u2028",
    "\\ufeff",
    "\\uffff",
)
# Raw, DEL and U+0085 are JSON; raw controls below U+0020 are not (the decoder must say so).
RAW_CHARACTERS = ("\x7f", "\x85", "\u2028")
RAW_CONTROLS = ("\x00", "\x09", "\x1f")
NUMBER_TEXTS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1e-999",
    "-0",
    "0.0",
    "5e-324",
    "1.7976931348623157e308",
    "9007199254740993",
    "1" + "0" * 4300,  # past Python's limit on the digits of an integer
    "-" + "9" * 400,
)

string_parts = st.one_of(
    st.text(st.characters(exclude_characters='"\\', exclude_categories=["Cs", "Cc"]), max_size=4),
    st.sampled_from(SHORT_ESCAPES),
    st.sampled_from(HOSTILE_ESCAPES),
    st.sampled_from(RAW_CHARACTERS),
    st.integers(0, 0xFFFF).map(lambda code: f"\\u{code:04x}"),  # every escape, surrogates too
)


@st.composite
def string_texts(draw: st.DrawFn) -> str:
    """A JSON string; now and then one holds a raw control character and is not JSON."""
    parts = draw(st.lists(string_parts, max_size=6))
    # Rarely: one such string spoils the whole event, which must mostly be JSON to get anywhere.
    if all(draw(st.booleans()) for _ in range(8)):
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(RAW_CONTROLS)))
    return '"' + "".join(parts) + '"'


number_texts = (
    st.sampled_from(NUMBER_TEXTS)
    | st.integers().map(str)
    | st.floats(allow_nan=True, allow_infinity=True).map(json.dumps)
)
scalar_texts = st.sampled_from(["null", "true", "false"]) | number_texts | string_texts()


def array_of(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(items, max_size=4).map(lambda texts: "[" + ", ".join(texts) + "]")


def object_of(
    keys: st.SearchStrategy[str], values: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(keys, values), max_size=4)
    return pairs.map(lambda items: "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}")


value_texts = st.recursive(
    scalar_texts, lambda children: array_of(children) | object_of(string_texts(), children)
)
programs = st.sampled_from(['"true"', '"echo"', '"printf"', '"cat"']) | string_texts()
command_values = {
    "program": programs,
    "arguments": array_of(string_texts()),
    "environment": object_of(string_texts(), string_texts()),
    "ports": array_of(st.integers(1, 65535).map(str)) | array_of(number_texts),
    "timeout": number_texts,
    "directory": st.sampled_from(['"/tmp"', '"."']) | string_texts(),
    "input": string_texts(),
}


def member(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An object of one field, `name`, holding one of `values`."""
    return values.map(lambda text: f'{{"{name}": {text}}}')


actions = st.sampled_from(['"create"', '"update"', '"delete"']) | scalar_texts
field_values = {
    **command_values,
    "stream": st.sampled_from(["true", "false", "null"]) | scalar_texts,
    # Taken off by the idempotency guard when one is configured; refused without one.
    IDEMPOTENCY_KEY_FIELD: st.sampled_from(['"migrate-4.2"', '""']) | string_texts(),
    # Command fields over the event's own, on a Terraform delete.
    ON_DELETE_FIELD: st.one_of(*(member(name, value) for name, value in command_values.items()))
    | object_of(st.sampled_from(COMMAND_FIELDS).map(json.dumps) | string_texts(), value_texts),
    # What aws_lambda_invocation adds with lifecycle_scope = "CRUD", and shapes it never sends.
    TERRAFORM_KEY: st.tuples(actions, st.sampled_from(["null", "{}"]) | value_texts).map(
        lambda pair: f'{{"action": {pair[0]}, "prev_input": {pair[1]}}}'
    )
    | object_of(st.sampled_from(['"action"', '"prev_input"']) | string_texts(), value_texts),
}
FIELDS = EVENT_FIELDS
assert set(field_values) == set(FIELDS), "a new event field needs hostile values too"


@st.composite
def event_texts(draw: st.DrawFn) -> str:
    """An event object in JSON text: known fields with hostile values, now and then any value."""
    names = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=len(FIELDS)))
    if "program" not in names and draw(st.booleans()):
        names.insert(0, "program")  # mostly a command, so that hostile values reach a process
    members = []
    for name in names:
        wrong_type = all(draw(st.booleans()) for _ in range(3))  # about one field in eight
        members.append(f'"{name}": {draw(value_texts if wrong_type else field_values[name])}')
    return "{" + ", ".join(members) + "}"
