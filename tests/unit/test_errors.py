"""One family of errors: every exception class jobstream defines derives from JobstreamError, and
the tree drawn in jobstream/errors.py names each of them (and nothing that is not one)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import jobstream
from jobstream import errors
from jobstream.errors import JobstreamError

# Outside the family on purpose (errors.py says why).
NOT_IN_THE_FAMILY = {"SleepDeferred", "RequestBodyTooLarge"}


def exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(jobstream.__path__, prefix="jobstream."):
        if module_info.name.endswith("__main__"):
            continue  # the Runtime API loop runs when imported
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[name] = value
    return found


def test_every_error_jobstream_defines_has_the_one_root() -> None:
    classes = exception_classes()
    assert len(classes) > 30
    outside = {name for name, cls in classes.items() if not issubclass(cls, JobstreamError)}
    assert outside == NOT_IN_THE_FAMILY


def test_the_drawn_tree_names_every_error_and_only_errors() -> None:
    classes = exception_classes()
    assert drawn_tree() == set(classes) - NOT_IN_THE_FAMILY


def drawn_tree() -> set[str]:
    """The class names of the tree in errors.py's docstring: each node's names, before the dots
    (or two spaces) that lead to what it says about them."""
    tree = (errors.__doc__ or "").split("::", 1)[1].split("\n\n", 2)[1]
    names: set[str] = set()
    for line in tree.splitlines():
        node = line.split("── ", 1)[-1].strip()
        node = re.split(r" \.| {2}", node, maxsplit=1)[0]
        names.update(name.strip() for name in node.split(","))
    return names
