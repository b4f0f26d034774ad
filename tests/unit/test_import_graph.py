"""The layer's rooms have clear doors: no import cycle inside jobstream, and every module is used.

Read from the source by grimp (a static import graph, no code imported), so a cycle hidden behind a
function-level or TYPE_CHECKING import counts too: either would turn into an ImportError the day
someone moves that import to the top of the file.
"""

from __future__ import annotations

import grimp
import pytest
from importlinter.cli import lint_imports

from tests.conftest import REPO_ROOT

PACKAGE = "jobstream"
PYPROJECT = REPO_ROOT / "pyproject.toml"

# Modules that nothing inside the package imports, because something outside it runs them: the
# Runtime API loop (`python -m jobstream.lambda_runtime`, started by the exec wrapper), and the
# modules the handlers in functions/ and the template name directly.
ENTRY_POINTS = {
    "jobstream.lambda_runtime.__main__",
    "jobstream.composition",  # the composition root: functions/*/app.py and the local stack
    "jobstream.jobs.durable_sdk",  # functions/worker/app.py, WorkerDriver=durable
    "jobstream.examples.demo",  # JOBSTREAM_JOB_REGISTRY=jobstream.examples.demo:registry
    "jobstream.init_phase",  # functions/*/app.py: what each builds during Lambda's init
    "jobstream.auth.rotation",  # functions/rotate_token_key/app.py: the key's rotation steps
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=False, cache_dir=None)


def test_no_import_cycle_inside_the_package(graph: grimp.ImportGraph) -> None:
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(importer=imported, imported=module):
                chain = graph.find_shortest_chain(importer=imported, imported=module)
                cycles.append(f"{module} -> {' -> '.join(chain or ())}")
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_every_module_is_imported_or_is_an_entry_point(graph: grimp.ImportGraph) -> None:
    unused = sorted(
        module
        for module in graph.modules
        if not graph.find_modules_that_directly_import(module)
        and module != PACKAGE
        and module not in ENTRY_POINTS
        # A package's __init__ is imported whenever any of its modules is.
        and not any(other.startswith(module + ".") for other in graph.modules)
    )
    assert unused == [], f"modules nothing imports (dead, or an entry point to list): {unused}"


def test_the_entry_point_list_names_real_modules(graph: grimp.ImportGraph) -> None:
    assert graph.modules >= ENTRY_POINTS


def test_no_two_rooms_import_each_other(graph: grimp.ImportGraph) -> None:
    # Rooms are the package's first level (jobs, store, tail, api, ...): dependencies between them
    # flow one way (docs/architecture.md), even where no single module closes a cycle.
    rooms = sorted({".".join(module.split(".")[:2]) for module in graph.modules if "." in module})
    both_ways = [
        (first, second)
        for index, first in enumerate(rooms)
        for second in rooms[index + 1 :]
        if graph.chain_exists(importer=first, imported=second, as_packages=True)
        and graph.chain_exists(importer=second, imported=first, as_packages=True)
    ]
    assert both_ways == []


def test_the_import_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    """pyproject.toml's [tool.importlinter] contracts: the layers of docs/architecture.md's
    one-way flow, the stream's read path without the job engine, no dev tooling in the layer."""
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report
