"""The README's job-type example, run exactly as written, to the end, across several invocations."""

from __future__ import annotations

import re

from jobstream.jobs import JobRegistry
from jobstream_sandbox.invokers import RecordingInvoker
from tests.conftest import REPO_ROOT
from tests.functional.jobs.conftest import ServiceFactory, all_events
from tests.unit.jobs.fakes import FakeClock, assert_clean_log, run_worker_chain


def _readme_example() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- readme-example: job-type .*?-->\n```python\n(.*?)```", readme, re.S)
    assert found, "the README lost its job-type example (or its marker comment)"
    return found.group(1)


def test_readme_job_type_runs_to_completion(
    make_service: ServiceFactory, invoker: RecordingInvoker, clock: FakeClock
) -> None:
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(_readme_example(), "README.md", "exec"), namespace)
    registry = namespace["registry"]
    assert isinstance(registry, JobRegistry)
    service = make_service(registry=registry)

    job = service.create("reports.export", {"rows": 2_000, "batch": 300})
    run_worker_chain(service, invoker, clock, timeout_s=10.5)

    events = all_events(service.store, job.job_id)
    assert_clean_log(events, terminal="complete")
    assert [e.data["done"] for e in events if e.type == "progress"] == [
        300,
        600,
        900,
        1200,
        1500,
        1800,
        2000,
    ]
    assert events[-1].data["result"] == {"rows": 2_000}
