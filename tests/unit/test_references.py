"""Unit: CloudFormation's dynamic references, parsed, found in a value and substituted."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.domain.environment import holds_reference
from run_command_on_aws_lambda.domain.references import (
    MalformedReference,
    Parameter,
    Reference,
    Secret,
    parse,
    references_in,
    substitute,
)

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"
PARAMETER_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db"


@pytest.mark.parametrize(
    ("text", "source", "json_key"),
    [
        ("{{resolve:secretsmanager:prod/db}}", Secret(id="prod/db"), None),
        ("{{resolve:secretsmanager:prod/db:SecretString}}", Secret(id="prod/db"), None),
        (
            "{{resolve:secretsmanager:prod/db:SecretString:password}}",
            Secret(id="prod/db"),
            "password",
        ),
        (
            "{{resolve:secretsmanager:prod/db:SecretString:password:AWSPREVIOUS}}",
            Secret(id="prod/db", version_stage="AWSPREVIOUS"),
            "password",
        ),
        (
            "{{resolve:secretsmanager:prod/db:::AWSPENDING}}",
            Secret(id="prod/db", version_stage="AWSPENDING"),
            None,
        ),
        (
            "{{resolve:secretsmanager:prod/db:SecretString:::0123-abcd}}",
            Secret(id="prod/db", version_id="0123-abcd"),
            None,
        ),
        (f"{{{{resolve:secretsmanager:{ARN}}}}}", Secret(id=ARN), None),
        (
            f"{{{{resolve:secretsmanager:{ARN}:SecretString:password}}}}",
            Secret(id=ARN),
            "password",
        ),
        ("{{resolve:ssm:/prod/db/host}}", Parameter(name="/prod/db/host"), None),
        ("{{resolve:ssm:/prod/db/host:3}}", Parameter(name="/prod/db/host", version="3"), None),
        ("{{resolve:ssm-secure:/prod/db/password}}", Parameter(name="/prod/db/password"), None),
        (
            f"{{{{resolve:ssm:{PARAMETER_ARN}:2}}}}",
            Parameter(name=PARAMETER_ARN, version="2"),
            None,
        ),
    ],
)
def test_a_reference_names_its_source_with_cloudformations_defaults(
    text: str, source: Secret | Parameter, json_key: str | None
) -> None:
    """Empty or missing parts take their defaults; an ARN's own colons stay in the id."""
    assert parse(text) == Reference(text=text, source=source, json_key=json_key)


def test_a_parameter_version_is_part_of_the_name_getparameter_takes() -> None:
    """GetParameter selects a version as `NAME:VERSION`."""
    assert Parameter(name="/a", version="3").selector == "/a:3"
    assert Parameter(name="/a").selector == "/a"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{{resolve:vault:prod/db}}", "names the service 'vault'"),
        ("{{resolve:secretsmanager:}}", "names no secret"),
        ("{{resolve:secretsmanager::SecretString:password}}", "names no secret"),
        ("{{resolve:secretsmanager:prod/db:SecretBinary}}", "only SecretString"),
        ("{{resolve:secretsmanager:a:SecretString:k:s:v:extra}}", "too many parts"),
        ("{{resolve:ssm:}}", "names no parameter"),
        ("{{resolve:ssm:/a:1:2}}", "too many parts"),
    ],
)
def test_a_malformed_reference_says_what_is_wrong(text: str, said: str) -> None:
    """The message quotes the reference and the rule it breaks."""
    with pytest.raises(MalformedReference, match=said) as raised:
        parse(text)
    assert text in str(raised.value)


def test_an_unclosed_reference_is_malformed_and_its_message_quotes_nothing_after_it() -> None:
    """`{{resolve:` without `}}` cannot be told apart from a typo: it is refused, and the
    message says where it starts but not what follows (the rest of the value may be secret)."""
    with pytest.raises(MalformedReference, match="no closing") as raised:
        list(references_in("Password={{resolve:ssm:/a;pass=hunter2"))
    assert "character 10" in str(raised.value)
    assert "hunter2" not in str(raised.value)
    assert "/a" not in str(raised.value)


def test_two_references_in_one_value_are_both_replaced() -> None:
    """Each reference is replaced where it stands; the text around it stays."""
    value = "Server=db;User={{resolve:ssm:/u}};Password={{resolve:secretsmanager:p:::}}!"
    values = {"{{resolve:ssm:/u}}": "admin", "{{resolve:secretsmanager:p:::}}": "s3cr3t"}
    assert substitute(value, values) == "Server=db;User=admin;Password=s3cr3t!"
    assert [reference.text for _, _, reference in references_in(value)] == list(values)


@pytest.mark.parametrize(
    "value",
    ["{{name}}", "{{ resolve:ssm:/a }}", "{{Resolve:ssm:/a}}", "${{ secrets.TOKEN }}", "{}", ""],
)
def test_text_that_only_looks_like_a_reference_is_left_as_it_is(value: str) -> None:
    """Only `{{resolve:` starts a reference (as in CloudFormation): templates pass unchanged."""
    assert not holds_reference(value)
    assert list(references_in(value)) == []
    assert substitute(value, {}) == value
