"""``python -m jobstream_local.invoke --function stream --event events/stream_from_start.json``.

Where the handler's DynamoDB is:

- default: an embedded DynamoDB (moto's server on loopback, table from template.yaml), a generated
  token key, fake AWS credentials, and Lambda calls (a worker start) answered by the same local
  server ("function not found"), so nothing can reach AWS;
- ``JOBSTREAM_DYNAMODB_ENDPOINT_URL`` set: that endpoint (e.g. a running ``make run`` or DynamoDB
  Local); the table is created from template.yaml if it is missing;
- ``--aws``: the environment as it is, i.e. a deployed stack's table and secret (set
  ``JOBSTREAM_TABLE``, ``JOBSTREAM_TOKEN_KEY_SECRET``, ``JOBSTREAM_WORKER_FUNCTION`` from the
  stack's outputs and use your own credentials).

Exit status: 0 when the invocation completed (whatever HTTP status the response carries), 1 when
the function failed (as Lambda would report it), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, redirect_stdout
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError

from jobstream.aws_clients import dynamodb_client
from jobstream.env_settings import SettingsError
from jobstream.invocation_context import InvocationContext
from jobstream.jobs.errors import RegistryNotFound
from jobstream.lambda_runtime.handler_loader import HandlerLoadError, load_handler
from jobstream.response_stream.delivery import deliver
from jobstream.settings import Settings
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_local.invoke.extra_args import split_extra_args
from jobstream_local.invoke.placeholders import (
    PlaceholderError,
    fill_placeholders,
    placeholders_in,
)
from jobstream_local.invoke.printer import PrintingSink
from jobstream_local.invoke.seed import (
    DEFAULT_PARAMS,
    DEFAULT_TYPE,
    BackgroundWorker,
    seed_job,
    token_for,
)
from jobstream_local.layer_path import put_layer_on_path
from jobstream_local.repo import RepoNotFound, find_repo_root
from jobstream_local.template_table import (
    create_table_from_template,
    load_template,
)

EXIT_OK: Final = 0
EXIT_FUNCTION_FAILED: Final = 1
EXIT_USAGE: Final = 2

# Each function's timeout is the template's parameter default (or its resource's Timeout), so a
# local run is bounded alike.
TIMEOUT_PARAMETERS: Final = {
    "api": "ApiTimeout",
    "stream": "StreamTimeout",
    "worker": "WorkerTimeout",
    # No parameter of its own: the function's Timeout.
    "sweep": "SweepFunction",
}
LOCAL_TABLE: Final = "jobstream-local"
LOCAL_WORKER: Final = "jobstream-local-worker"
# How long to wait for the seeded job to have the events a stream event resumes after.
READY_TIMEOUT_S: Final = 60.0
_DIGITS = re.compile(r"[0-9]{1,12}")


class UsageError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(given)
    if args.args:
        try:
            more = split_extra_args(args.args)
        except ValueError as exc:
            parser.error(f"--args: {exc}")
        args = parser.parse_args([*given, *more])
    try:
        return _run(args)
    except (UsageError, RegistryNotFound, SettingsError) as exc:
        _note(f"error: {exc}")
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    try:
        template = Path(args.template or find_repo_root(args.repo) / "template.yaml")
        functions_dir = Path(args.functions_dir or find_repo_root(args.repo) / "functions")
    except RepoNotFound as exc:
        raise UsageError(str(exc)) from None
    put_layer_on_path(Path(template).parent)
    function_dir = functions_dir / args.function
    if not (function_dir / "app.py").is_file():
        raise UsageError(f"{function_dir / 'app.py'} does not exist")
    event = _read_event(Path(args.event))
    timeout_s = args.timeout or _template_timeout(template, args.function)
    # Where the response goes; while the handler runs, anything it prints goes to stderr instead.
    out = sys.stdout.buffer
    with ExitStack() as stack:
        settings = _prepare_environment(args, template, stack)
        if placeholders_in(event):
            event = _fill(event, args, settings, stack)
        with redirect_stdout(sys.stderr):
            try:
                handler = load_handler("app.handler", task_root=str(function_dir.resolve()))
            except HandlerLoadError as exc:
                _note(f"cannot load the handler: {exc}")
                return EXIT_FUNCTION_FAILED
            _logs_to_stderr(sys.__stdout__)
            context = InvocationContext.for_timeout(
                timeout_s, function_name=f"jobstream-local-{args.function}"
            )
            context.memory_limit_in_mb = _template_memory(template, args.function)
            sink = PrintingSink(out, sys.stderr)
            deliver(handler, event, context, sink)
    return EXIT_FUNCTION_FAILED if sink.failed else EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jobstream_local.invoke",
        description="Run one Lambda handler locally (no Docker) and print its response as it "
        "streams. {{job_id}} and {{token}} in the event are filled from a seeded demo job.",
    )
    parser.add_argument("--function", "-f", required=True, choices=sorted(TIMEOUT_PARAMETERS))
    parser.add_argument("--event", "-e", required=True, help="event JSON file (see events/)")
    parser.add_argument(
        "--aws",
        action="store_true",
        help="use the deployed stack named by the JOBSTREAM_* environment (real AWS)",
    )
    parser.add_argument(
        "--job-id", help="fill the placeholders for this existing job instead of seeding one"
    )
    parser.add_argument("--seed-type", default=DEFAULT_TYPE, help="job type of the seeded job")
    parser.add_argument(
        "--seed-params",
        type=_json_object,
        default=None,
        help=f"params of the seeded job as JSON (default {json.dumps(DEFAULT_PARAMS)})",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds (default: the template's)"
    )
    parser.add_argument(
        "--repo",
        metavar="PATH",
        help="the jobstream repository (JOBSTREAM_REPO; default: the folder at or above the "
        "current one that holds template.yaml)",
    )
    parser.add_argument(
        "--args",
        metavar="TEXT",
        help="more of these options as one string, as `make invoke ARGS=...` passes them (a JSON "
        "object in it is one word, quotes and all)",
    )
    parser.add_argument("--functions-dir", help="default: functions/ of the repository")
    parser.add_argument("--template", help="default: template.yaml of the repository")
    return parser


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, not {text!r}")
    return value


def _read_event(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the event {path}: {exc}") from exc


def _template_timeout(template: Path, function: str) -> float:
    loaded = load_template(template)
    name = TIMEOUT_PARAMETERS[function]
    if name in loaded["Parameters"]:
        return float(loaded["Parameters"][name]["Default"])
    return float(loaded["Resources"][name]["Properties"]["Timeout"])


def _template_memory(template: Path, function: str) -> int:
    loaded = load_template(template)
    if function == "stream":
        # The stream function has a MemorySize parameter of its own.
        return int(loaded["Parameters"]["StreamMemorySize"]["Default"])
    return int(loaded.get("Globals", {}).get("Function", {}).get("MemorySize", 128))


def _prepare_environment(args: argparse.Namespace, template: Path, stack: ExitStack) -> Settings:
    """Point the handler (which reads only the environment, as on Lambda) at a table."""
    env = os.environ
    if args.aws:
        if not env.get("JOBSTREAM_TABLE"):
            raise UsageError("--aws needs JOBSTREAM_TABLE (the stack's TableName output)")
        _note(f"using AWS: table {env['JOBSTREAM_TABLE']}")
        return Settings()
    # Never a developer's real credentials against the local stand-ins.
    env.pop("AWS_PROFILE", None)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": env.get("JOBSTREAM_REGION", "us-east-1"),
        }
    )
    env.setdefault("JOBSTREAM_TABLE", LOCAL_TABLE)
    env.setdefault("JOBSTREAM_TOKEN_KEY", secrets.token_urlsafe(48))
    # The code has no default auth mode; a local invoke is open, as `make run` is.
    env.setdefault("JOBSTREAM_API_AUTH", "none")
    env.setdefault("JOBSTREAM_WORKER_FUNCTION", LOCAL_WORKER)
    endpoint = env.get("JOBSTREAM_DYNAMODB_ENDPOINT_URL")
    if endpoint:
        _ensure_table(Settings(), template)
        _note(f"using DynamoDB at {endpoint}, table {env['JOBSTREAM_TABLE']}")
    else:
        database = EmbeddedDynamoDB(table=env["JOBSTREAM_TABLE"], template_path=template)
        endpoint = stack.enter_context(database).endpoint_url
        env["JOBSTREAM_DYNAMODB_ENDPOINT_URL"] = endpoint
        _note(f"embedded DynamoDB at {endpoint}")
    # The API and the stream start the worker with an asynchronous Lambda invoke: let the local
    # endpoint answer it (function not found, logged) instead of boto3 trying AWS itself.
    env.setdefault("AWS_ENDPOINT_URL_LAMBDA", endpoint)
    return Settings()


def _ensure_table(settings: Settings, template: Path) -> None:
    client = dynamodb_client(settings)
    try:
        client.describe_table(TableName=settings.table)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        create_table_from_template(client, settings.table, template)


def _fill(event: object, args: argparse.Namespace, settings: Settings, stack: ExitStack) -> object:
    if args.job_id:
        seeded = token_for(settings, args.job_id)
        _note(f"placeholders filled for job {seeded.job_id}")
    else:
        seeded = seed_job(settings, type=args.seed_type, params=args.seed_params)
        _note(f"seeded a {args.seed_type} job: {seeded.job_id}")
    try:
        filled = fill_placeholders(event, seeded.placeholders())
    except PlaceholderError as exc:
        raise UsageError(str(exc)) from exc
    if args.function == "api" and not args.job_id:
        _note("the seeded job is queued: no worker runs it here (invoke FN=worker for that)")
    if args.function == "stream" and not args.job_id:
        # Run the job meanwhile, as the worker function would; a resume needs its events stored.
        worker = BackgroundWorker(
            settings, seeded.job_id, ready_after_events=max(1, _resume_point(filled))
        )
        worker.start()
        stack.callback(worker.join, READY_TIMEOUT_S)
        if not worker.wait_ready(READY_TIMEOUT_S):
            _note("the seeded job has not produced the events asked for; invoking anyway")
    return filled


def _resume_point(event: object) -> int:
    """The Last-Event-ID a stream event resumes after (0 if none or not a number)."""
    if not isinstance(event, Mapping):
        return 0
    headers = event.get("headers")
    value = headers.get("last-event-id") if isinstance(headers, Mapping) else None
    if value is None and isinstance(event.get("queryStringParameters"), Mapping):
        value = event["queryStringParameters"].get("last_event_id")
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return 0


def _logs_to_stderr(stdout: object) -> None:
    # Powertools' Logger writes to the stdout it saw when created: keep the response stream clean.
    for handler in logging.getLogger("jobstream").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is stdout:
            handler.setStream(sys.stderr)


def _note(text: str) -> None:
    print(f"[invoke] {text}", file=sys.stderr, flush=True)  # noqa: T201 - a CLI's output
