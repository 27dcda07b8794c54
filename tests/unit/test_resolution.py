"""Unit: a child's variables with their references resolved through a store, or why not."""

from __future__ import annotations

import collections
import json

import pytest

from run_command_on_aws_lambda.domain.environment import holds_references
from run_command_on_aws_lambda.domain.errors import ReferenceNotResolved
from run_command_on_aws_lambda.domain.references import Parameter, Secret, Source
from run_command_on_aws_lambda.domain.resolution import resolve

DB = json.dumps({"user": "admin", "password": "s3cr3t", "port": 5432, "tags": ["a"]})


class FakeStore:
    """A `SecretStore` over a dict; counts fetches; a missing source is AWS's not-found."""

    def __init__(self, values: dict[Source, str]) -> None:
        self.values = values
        self.fetches: collections.Counter[Source] = collections.Counter()

    def fetch(self, source: Source) -> str:
        self.fetches[source] += 1
        if source not in self.values:
            raise ReferenceNotResolved("Secrets Manager answered ResourceNotFoundException: gone.")
        return self.values[source]


STORE_VALUES: dict[Source, str] = {
    Secret(id="prod/db"): DB,
    Secret(id="prod/db", version_stage="AWSPREVIOUS"): json.dumps({"password": "old"}),
    Secret(id="plain"): "just-text",
    Parameter(name="/db/host"): "db.internal",
    Parameter(name="/db/host", version="1"): "db-v1.internal",
}


def store() -> FakeStore:
    return FakeStore(dict(STORE_VALUES))


def test_references_are_replaced_and_their_values_kept_to_mask() -> None:
    """A JSON key, a whole string and a parameter, each in its variable."""
    resolved = resolve(
        {
            "PW": "{{resolve:secretsmanager:prod/db:SecretString:password}}",
            "TEXT": "{{resolve:secretsmanager:plain}}",
            "HOST": "{{resolve:ssm:/db/host:1}}",
            "PLAIN": "unchanged",
        },
        store(),
    )
    assert resolved.environment == {
        "PW": "s3cr3t",
        "TEXT": "just-text",
        "HOST": "db-v1.internal",
        "PLAIN": "unchanged",
    }
    assert set(resolved.mask) == {b"s3cr3t", b"just-text", b"db-v1.internal"}
    assert holds_references({"PLAIN": "unchanged", "X": "a{{resolve:ssm:/x}}"})


def test_a_value_that_is_not_a_string_in_the_json_is_given_as_json() -> None:
    """As CloudFormation does: a number or a list as its JSON text."""
    resolved = resolve(
        {
            "PORT": "{{resolve:secretsmanager:prod/db:SecretString:port}}",
            "TAGS": "{{resolve:secretsmanager:prod/db:SecretString:tags}}",
        },
        store(),
    )
    assert resolved.environment == {"PORT": "5432", "TAGS": '["a"]'}


def test_one_secret_is_fetched_once_however_many_references_name_it() -> None:
    """Two keys of one secret, in one value and in another variable: one fetch per version."""
    fake = store()
    resolved = resolve(
        {
            "URL": "postgres://{{resolve:secretsmanager:prod/db:SecretString:user}}:"
            "{{resolve:secretsmanager:prod/db:SecretString:password}}@{{resolve:ssm:/db/host}}",
            "PW": "{{resolve:secretsmanager:prod/db:SecretString:password}}",
            "OLD": "{{resolve:secretsmanager:prod/db:SecretString:password:AWSPREVIOUS}}",
        },
        fake,
    )
    assert resolved.environment["URL"] == "postgres://admin:s3cr3t@db.internal"
    assert resolved.environment["OLD"] == "old"
    assert fake.fetches == {
        Secret(id="prod/db"): 1,
        Secret(id="prod/db", version_stage="AWSPREVIOUS"): 1,
        Parameter(name="/db/host"): 1,
    }


def test_an_environment_without_references_is_not_touched() -> None:
    """Nothing to fetch, nothing to mask; templating braces are left alone."""
    fake = store()
    environment = {"A": "{{name}}", "B": "x"}
    assert not holds_references(environment)
    assert resolve(environment, fake).environment == environment
    assert not fake.fetches


def test_a_failure_names_the_variable_the_reference_and_what_aws_said() -> None:
    """The error quotes the reference and AWS's code; no resolved value appears in it."""
    value = "{{resolve:secretsmanager:prod/db:SecretString:password}}/{{resolve:ssm:/gone}}"
    with pytest.raises(ReferenceNotResolved) as raised:
        resolve({"URL": value}, store())
    message = str(raised.value)
    assert "URL" in message
    assert "{{resolve:ssm:/gone}}" in message
    assert "ResourceNotFoundException" in message
    assert "s3cr3t" not in message
    assert message.endswith("The command was not run.")


@pytest.mark.parametrize(
    ("key", "said"),
    [("nope", "has no JSON key 'nope'"), ("x", "not a JSON object")],
)
def test_a_json_key_the_secret_does_not_have_is_not_resolved(key: str, said: str) -> None:
    """A missing key, or a secret that is not a JSON object, fails without showing the secret."""
    secret = "prod/db" if key == "nope" else "plain"
    reference = f"{{{{resolve:secretsmanager:{secret}:SecretString:{key}}}}}"
    with pytest.raises(ReferenceNotResolved, match=said) as raised:
        resolve({"V": reference}, store())
    assert "s3cr3t" not in str(raised.value)
    assert "just-text" not in str(raised.value)


def test_a_malformed_reference_fails_before_anything_is_fetched() -> None:
    """Every value is parsed first: a typo in one variable costs no call for the others."""
    fake = store()
    with pytest.raises(ReferenceNotResolved, match="BAD holds a malformed reference"):
        resolve({"GOOD": "{{resolve:secretsmanager:prod/db}}", "BAD": "{{resolve:vault:x}}"}, fake)
    assert not fake.fetches


def test_a_value_with_a_nul_character_is_refused() -> None:
    """No environment variable can hold NUL: refused by name, never passed on cut short."""
    fake = FakeStore({Secret(id="nul"): "a\0b"})
    with pytest.raises(ReferenceNotResolved, match="NUL"):
        resolve({"V": "{{resolve:secretsmanager:nul}}"}, fake)
