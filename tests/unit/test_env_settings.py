"""EnvSettings: what Settings relies on now that it is not built on pydantic-settings."""

from __future__ import annotations

from typing import ClassVar, Literal

import pytest

from jobstream.env_settings import EnvSettings, SettingsError, required, setting
from jobstream.settings import Settings

pytestmark = pytest.mark.unit


class Sample(EnvSettings):
    env_prefix: ClassVar[str] = "SAMPLE_"

    name: str = "default"
    count: int = setting(default=3, ge=1, le=10)
    ratio: float = setting(default=0.5, gt=0)
    enabled: bool = True
    mode: Literal["a", "b"] = "a"
    limit: float | None = setting(default=None, gt=0, env_aliases=("legacy_limit",))
    label: str | None = None
    secret: str | None = setting(default=None, repr=False)
    origins: list[str] = setting(default_factory=list)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SAMPLE_NAME",
        "SAMPLE_COUNT",
        "SAMPLE_RATIO",
        "SAMPLE_ENABLED",
        "SAMPLE_MODE",
        "SAMPLE_LIMIT",
        "LEGACY_LIMIT",
        "SAMPLE_LABEL",
        "SAMPLE_SECRET",
        "SAMPLE_ORIGINS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_when_nothing_is_set() -> None:
    sample = Sample()
    assert (sample.name, sample.count, sample.enabled, sample.limit) == ("default", 3, True, None)
    assert sample.origins == []
    assert sample.fields_given == frozenset()


def test_the_environment_is_read_by_prefix_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_COUNT", " 7 ")
    monkeypatch.setenv("sample_ratio", "2.5")
    monkeypatch.setenv("SAMPLE_ENABLED", "off")
    monkeypatch.setenv("SAMPLE_MODE", "b")
    sample = Sample()
    assert (sample.count, sample.ratio, sample.enabled, sample.mode) == (7, 2.5, False, "b")
    assert sample.fields_given == {"count", "ratio", "enabled", "mode"}


def test_keywords_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_NAME", "from-env")
    assert Sample(name="given").name == "given"


def test_the_prefixed_name_wins_over_an_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGACY_LIMIT", "9")
    assert Sample().limit == 9
    monkeypatch.setenv("SAMPLE_LIMIT", "4")
    assert Sample().limit == 4


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a, b ,,c", ["a", "b", "c"]), ('["x", "y"]', ["x", "y"]), ("", [])],
)
def test_a_list_is_json_or_comma_separated(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    monkeypatch.setenv("SAMPLE_ORIGINS", raw)
    assert Sample().origins == expected


def test_a_blank_optional_number_is_none_but_a_blank_string_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMPLE_LIMIT", "")
    monkeypatch.setenv("SAMPLE_LABEL", "")
    sample = Sample()
    assert sample.limit is None
    assert sample.label == ""


def test_every_problem_is_reported_at_once_without_the_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMPLE_COUNT", "eleven-secret")
    monkeypatch.setenv("SAMPLE_MODE", "c")
    with pytest.raises(SettingsError) as raised:
        Sample(ratio=0, enabled="maybe")  # type: ignore[arg-type]
    problems = raised.value.problems
    assert len(problems) == 4
    assert any(p.startswith("SAMPLE_COUNT:") for p in problems)
    assert "ratio: must be greater than 0" in problems
    assert "eleven-secret" not in str(raised.value)


def test_bounds_apply_to_keywords_too() -> None:
    with pytest.raises(SettingsError, match="count: must be at most 10"):
        Sample(count=11)


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(TypeError, match="colour"):
        Sample(colour="red")  # type: ignore[call-arg]


def test_instances_are_frozen_and_compare_by_value() -> None:
    sample = Sample(origins=["a"])
    with pytest.raises(AttributeError):
        sample.name = "changed"  # type: ignore[misc]
    assert sample == Sample(origins=["a"])
    assert hash(sample) == hash(Sample(origins=["a"]))
    assert sample != Sample(origins=["b"])


def test_repr_hides_secret_fields() -> None:
    shown = repr(Sample(secret="hunter2-key"))
    assert "hunter2" not in shown
    assert "name='default'" in shown


def test_with_changes_checks_the_changes_and_does_not_read_the_environment_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample = Sample(name="kept")
    monkeypatch.setenv("SAMPLE_NAME", "later")
    copy = sample.with_changes({"count": 5})
    assert (copy.name, copy.count, sample.count) == ("kept", 5, 3)
    assert copy.fields_given == {"name", "count"}
    with pytest.raises(SettingsError):
        sample.with_changes({"count": 0})


def test_settings_reads_the_templates_comma_separated_origins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBSTREAM_CORS_ALLOWED_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("JOBSTREAM_MODE_INLINE_ENABLED", "false")
    settings = Settings()
    assert settings.cors_allowed_origins == ["https://a.example", "https://b.example"]
    assert settings.mode_inline_enabled is False


class Chosen(EnvSettings):
    env_prefix: ClassVar[str] = "CHOSEN_"

    mode: Literal["open", "closed"] = required("who may come in")
    size: int = 3


def test_a_required_field_unset_is_one_line_naming_it_and_its_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHOSEN_MODE", raising=False)
    with pytest.raises(SettingsError) as raised:
        Chosen()
    assert str(raised.value) == (
        "invalid settings: CHOSEN_MODE is required (one of open, closed): who may come in"
    )
    monkeypatch.setenv("CHOSEN_MODE", "closed")
    assert Chosen().mode == "closed"
    assert Chosen(mode="open").mode == "open"


def test_a_required_field_set_empty_is_refused_not_defaulted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHOSEN_MODE", "")
    with pytest.raises(SettingsError, match="CHOSEN_MODE: must be one of open, closed"):
        Chosen()


def test_the_auth_mode_has_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22: a function deployed without JOBSTREAM_API_AUTH must not run open."""
    monkeypatch.delenv("JOBSTREAM_API_AUTH", raising=False)
    with pytest.raises(SettingsError) as raised:
        Settings(table="t")
    message = str(raised.value)
    assert "\n" not in message
    assert "JOBSTREAM_API_AUTH is required (one of none, jwt, iam)" in message
    for mode in ("none", "jwt", "iam"):
        monkeypatch.setenv("JOBSTREAM_API_AUTH", mode)
        assert Settings(table="t").api_auth == mode
