"""`make run`'s options: a stream runs on after its client leaves (as on Lambda) unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobstream_local.options import parse_options

REPO = Path(__file__).resolve().parents[3]


def test_streams_run_on_after_a_disconnect_by_default() -> None:
    options = parse_options(["--repo", str(REPO)], {})
    assert options.stop_streams_on_disconnect is False


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--stop-streams-on-disconnect"], {}),
        ([], {"LOCAL_STOP_STREAMS_ON_DISCONNECT": "1"}),
    ],
)
def test_the_laptop_mode_is_asked_for_by_flag_or_environment(
    argv: list[str], environ: dict[str, str]
) -> None:
    options = parse_options([*argv, "--repo", str(REPO)], environ)
    assert options.stop_streams_on_disconnect is True


def test_a_bad_value_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_options(["--repo", str(REPO)], {"LOCAL_STOP_STREAMS_ON_DISCONNECT": "maybe"})
    assert exit_info.value.code == 2
    assert "LOCAL_STOP_STREAMS_ON_DISCONNECT" in capsys.readouterr().err
