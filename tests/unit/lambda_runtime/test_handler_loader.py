from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobstream.invocation_context import InvocationContext
from jobstream.lambda_runtime.handler_loader import HandlerLoadError, load_handler


@pytest.fixture
def task_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A code folder with a uniquely named module; sys.path and sys.modules restored after."""
    name = f"fn_{uuid.uuid4().hex}"
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path, name
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def test_the_task_root_goes_first_on_the_path_and_the_handler_is_found(
    task_root: tuple[Path, str],
) -> None:
    folder, name = task_root
    (folder / f"{name}.py").write_text("def handler(event, context):\n    return event\n")
    handler = load_handler(f"{name}.handler", task_root=str(folder))
    assert sys.path[0] == str(folder)
    assert handler({"x": 1}, InvocationContext.for_timeout(1)) == {"x": 1}


def test_a_slash_separated_module_path_works_like_on_lambda(task_root: tuple[Path, str]) -> None:
    folder, name = task_root
    (folder / name).mkdir()
    (folder / name / "__init__.py").write_text("")
    (folder / name / "app.py").write_text("def main(event, context):\n    return 'ok'\n")
    handler = load_handler(f"{name}/app.main", task_root=str(folder))
    assert handler(None, InvocationContext.for_timeout(1)) == "ok"


@pytest.mark.parametrize(
    ("source", "attribute", "error_type", "message"),
    [
        ("import not_a_module_anywhere\n", "handler", "Runtime.ImportModuleError", "Unable"),
        ("raise KeyError('at import')\n", "handler", "Runtime.ImportModuleError", "KeyError"),
        ("def handler(:\n", "handler", "Runtime.UserCodeSyntaxError", "Unable"),
        ("handler = 42\n", "handler", "Runtime.HandlerNotFound", "missing"),
        ("", "other", "Runtime.HandlerNotFound", "missing"),
    ],
)
def test_init_failures_carry_lambdas_error_types(
    task_root: tuple[Path, str], source: str, attribute: str, error_type: str, message: str
) -> None:
    folder, name = task_root
    (folder / f"{name}.py").write_text(source)
    with pytest.raises(HandlerLoadError) as caught:
        load_handler(f"{name}.{attribute}", task_root=str(folder))
    assert caught.value.report.error_type == error_type
    assert message in caught.value.report.message


@pytest.mark.parametrize("spec", ["", "nodot", ".handler", "module."])
def test_malformed_handler_names(spec: str) -> None:
    with pytest.raises(HandlerLoadError) as caught:
        load_handler(spec, task_root=None)
    assert caught.value.report.error_type == "Runtime.MalformedHandlerName"
