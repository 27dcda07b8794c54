"""App: `AWS_LAMBDA_MAX_CONCURRENCY`, read once at start-up."""

from __future__ import annotations

import pytest

from run_command_on_aws_lambda.app.lambda_workers import max_concurrency
from run_command_on_aws_lambda.domain.errors import ConfigurationError


@pytest.mark.parametrize(
    ("value", "slots"), [(None, 1), ("", 1), ("1", 1), (" 16 ", 16), ("1600", 1600)]
)
def test_unset_means_one_and_a_count_is_taken_as_it_is(value: str | None, slots: int) -> None:
    """No variable is today's one loop; Lambda's 1 to 1600 are taken."""
    environ = {} if value is None else {"AWS_LAMBDA_MAX_CONCURRENCY": value}
    assert max_concurrency(environ) == slots


@pytest.mark.parametrize("value", ["0", "-4", "4.0", "many", "²", "1601"])
def test_anything_else_is_refused_naming_the_variable(value: str) -> None:
    """Not a whole number from 1 to 1600: an error saying which variable and what it expects."""
    with pytest.raises(ConfigurationError) as refused:
        max_concurrency({"AWS_LAMBDA_MAX_CONCURRENCY": value})
    assert str(refused.value).startswith(f"AWS_LAMBDA_MAX_CONCURRENCY={value!r} is not valid")
    assert "positive whole number up to 1600" in str(refused.value)
