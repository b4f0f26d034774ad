"""jobstream_local.repo.find_repo_root: how the dev tools find the repository they read."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobstream_local.repo import REPO_ENV, RepoNotFound, find_repo_root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "shared" / "jobstream").mkdir(parents=True)
    (root / "template.yaml").write_text("Resources: {}\n")
    return root


def test_walks_up_from_a_folder_inside_the_repository(repo: Path) -> None:
    assert find_repo_root(environ={}, start=repo / "shared" / "jobstream") == repo.resolve()


def test_outside_any_repository_the_error_says_where_it_looked_and_what_to_do(
    tmp_path: Path,
) -> None:
    with pytest.raises(RepoNotFound, match=r"no template\.yaml in .* --repo PATH or set"):
        find_repo_root(environ={}, start=tmp_path)


def test_the_environment_variable_wins_over_the_current_folder(repo: Path, tmp_path: Path) -> None:
    assert find_repo_root(environ={REPO_ENV: str(repo)}, start=tmp_path) == repo.resolve()


def test_an_explicit_path_wins_over_the_environment(repo: Path, tmp_path: Path) -> None:
    assert find_repo_root(repo, environ={REPO_ENV: str(tmp_path)}) == repo.resolve()


def test_a_given_folder_without_template_yaml_is_an_error_naming_the_flag(tmp_path: Path) -> None:
    with pytest.raises(RepoNotFound, match=r"^--repo is .*holds no template\.yaml"):
        find_repo_root(tmp_path, environ={})


def test_a_variable_naming_a_folder_without_template_yaml_is_an_error_naming_it(
    tmp_path: Path,
) -> None:
    with pytest.raises(RepoNotFound, match=rf"^{REPO_ENV} is .*holds no template\.yaml"):
        find_repo_root(environ={REPO_ENV: str(tmp_path)})
