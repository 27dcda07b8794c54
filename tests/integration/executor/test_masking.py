"""The ProcessExecutor masks secret values in the output it forwards and keeps."""

from __future__ import annotations

from run_command_on_aws_lambda.domain.result import OUTPUT_TAIL_BYTES
from tests.integration.conftest import Supervised

SECRET = b"hunter2-Secret"


def test_a_secret_printed_whole_is_masked_in_the_forwarded_and_the_kept_output(
    supervised: Supervised,
) -> None:
    """The value never reaches the runtime's stdout nor the result; `***` stands in its place."""
    result = supervised.shell(
        "echo password is hunter2-Secret, twice: hunter2-Secret", mask=(SECRET,)
    )
    assert supervised.forwarded()[0] == b"password is ***, twice: ***\n"
    assert result.output == b"password is ***, twice: ***\n"


def test_a_secret_split_across_two_writes_is_still_masked(supervised: Supervised) -> None:
    """The start of the value waits (a fraction of a second here) until the rest decides."""
    result = supervised.shell(
        "printf 'key=hunter'; sleep 0.3; printf '2-Secret ok\\n'", mask=(SECRET,)
    )
    assert supervised.forwarded()[0] == b"key=*** ok\n"
    assert result.output == b"key=*** ok\n"


def test_what_only_looked_like_the_start_of_a_secret_is_forwarded_at_the_end(
    supervised: Supervised,
) -> None:
    """Held-back bytes that turn out not to be a secret are forwarded, even without a newline."""
    result = supervised.shell("printf 'hunter2-Secret then hunter2-Sec'", mask=(SECRET,))
    assert supervised.forwarded()[0] == b"*** then hunter2-Sec"
    assert result.output == b"*** then hunter2-Sec"


def test_a_secret_at_the_very_end_without_a_newline_is_masked(supervised: Supervised) -> None:
    """The last bytes of a stream are masked as well."""
    result = supervised.shell("printf 'the end: hunter2-Secret'", mask=(SECRET,))
    assert supervised.forwarded()[0] == b"the end: ***"
    assert result.output == b"the end: ***"


def test_secrets_on_stderr_are_masked_too(supervised: Supervised) -> None:
    """Each stream is masked on its own, with every value given."""
    result = supervised.shell(
        "echo out hunter2-Secret; echo err hunter2-Secret other-token >&2",
        mask=(SECRET, b"other-token"),
    )
    assert supervised.forwarded() == (b"out ***\n", b"err *** ***\n")
    assert sorted(result.output.splitlines()) == [b"err *** ***", b"out ***"]


def test_a_flood_with_secrets_everywhere_never_lets_one_through(supervised: Supervised) -> None:
    """Large output is masked byte for byte: no bytes bypass the masking (no splice)."""
    script = "i=0; while [ $i -lt 30000 ]; do echo line $i hunter2-Secret; i=$((i+1)); done"
    result = supervised.shell(script, mask=(SECRET,))
    stdout = supervised.forwarded()[0]
    assert SECRET not in stdout
    assert stdout == b"".join(b"line %d ***\n" % i for i in range(30000))
    assert result.output_truncated
    assert len(result.output) == OUTPUT_TAIL_BYTES
    assert SECRET not in result.output


def test_without_values_to_mask_the_output_passes_unchanged(supervised: Supervised) -> None:
    """No mask, no change, whatever the output looks like."""
    result = supervised.shell("echo hunter2-Secret '***'")
    assert supervised.forwarded()[0] == b"hunter2-Secret ***\n"
    assert result.output == b"hunter2-Secret ***\n"
