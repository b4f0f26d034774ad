"""`make invoke ... ARGS='...'`: the one string is split as a person typing it means it."""

from __future__ import annotations

import pytest

from jobstream_local.invoke.cli import _parser
from jobstream_local.invoke.extra_args import split_extra_args


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            '--seed-params {"n": 50, "interval_ms": 200}',
            ["--seed-params", '{"n": 50, "interval_ms": 200}'],
        ),
        ("", []),
        (
            '  --job-id abc   --seed-type "demo.count" ',
            ["--job-id", "abc", "--seed-type", "demo.count"],
        ),
        # Shell-quoted JSON works too, as it would in a shell.
        ("--seed-params '{\"n\": 5}'", ["--seed-params", '{"n": 5}']),
        (
            '--seed-params [1, {"a": "b c"}] --timeout 3',
            ["--seed-params", '[1, {"a": "b c"}]', "--timeout", "3"],
        ),
        # Not JSON: read as shell words, refused later by the option that takes them.
        ("--seed-params {bad x", ["--seed-params", "{bad", "x"]),
    ],
)
def test_split(text: str, words: list[str]) -> None:
    assert split_extra_args(text) == words


def test_an_unclosed_quote_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="quotation"):
        split_extra_args("--seed-type 'demo.count")


def test_the_split_words_parse_as_options() -> None:
    parser = _parser()
    words = split_extra_args('--seed-params {"n": 50, "interval_ms": 200}')
    args = parser.parse_args(["--function", "stream", "--event", "e.json", *words])
    assert args.seed_params == {"n": 50, "interval_ms": 200}


def test_params_that_are_not_json_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["--function", "stream", "--event", "e.json", "--seed-params", "{n:"])
    err = capsys.readouterr().err
    assert "not JSON" in err
    assert "'{n:'" in err
    assert "_json_object" not in err
