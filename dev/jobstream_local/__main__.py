"""``python -m jobstream_local`` (what `make run` runs): the whole system on this machine.

Starts a LocalStack, prints its URL and a curl example, and runs until SIGINT (Ctrl-C) or
SIGTERM, then stops it cleanly and exits 0. A second signal during the shutdown exits at once.
Options: ``--help`` (see jobstream_local.options).
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from jobstream.auth.jwt_verifier import JwtSettingsMissing
from jobstream.jobs.drivers import DRIVERS, chosen_driver
from jobstream.jobs.errors import RegistryNotFound
from jobstream.settings import Settings
from jobstream_local.console_log import use_console_log
from jobstream_local.database import DatabaseChoice, DatabaseUnavailable
from jobstream_local.layer_path import put_layer_on_path
from jobstream_local.options import LocalOptions, parse_options
from jobstream_local.stack import LocalStack

# What a shell reports for a process ended by SIGINT; used when a second Ctrl-C cuts the shutdown.
_INTERRUPTED = 130
_EXAMPLE_JOB = '{"type": "demo.count", "params": {"n": 60, "interval_ms": 1000}}'


def main(
    argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    started = time.monotonic()
    options = parse_options(argv, os.environ)
    put_layer_on_path(options.repo)
    use_console_log()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            out.write("stopping anyway\n")
            out.flush()
            os._exit(_INTERRUPTED)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        settings = Settings()
        if settings.api_auth == "iam":
            # The principal comes from Lambda's check of a SigV4 signature, which nothing here does.
            return _fail(
                err,
                "JOBSTREAM_API_AUTH=iam needs the API's AWS_IAM Function URL on Lambda; locally "
                "use none (the default) or jwt, with JOBSTREAM_JWT_ISSUER and "
                "JOBSTREAM_JWT_AUDIENCE",
            )
        try:
            database = DatabaseChoice(
                use_aws=options.use_aws,
                create_table=options.create_table,
                endpoint_url=settings.dynamodb_endpoint_url,
            )
        except ValueError as conflict:
            return _fail(err, str(conflict))
        stack = LocalStack(
            host=options.host,
            port=options.port,
            function_timeout_s=options.function_timeout_s,
            stream_timeout_s=options.stream_timeout_s,
            settings=settings,
            database=database,
            web_root=options.repo / "web",
            template_path=options.repo / "template.yaml",
        )
        try:
            stack.start()
        except (DatabaseUnavailable, OSError, JwtSettingsMissing, RegistryNotFound) as error:
            return _fail(err, str(error))
        try:
            _banner(out, stack, options, ready_s=time.monotonic() - started)
            stop.wait()
            out.write("stopping...\n")
            out.flush()
        finally:
            stack.stop()
        out.write("stopped\n")
        out.flush()
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _banner(out: TextIO, stack: LocalStack, options: LocalOptions, *, ready_s: float) -> None:
    url = stack.url
    jobs = f"{url}/jobs"
    driver = chosen_driver(stack.settings)
    pick = "python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'"
    lines = [
        "",
        f"jobstream is running at {url}  (ready in {ready_s:.1f} s)",
        "",
        f"  demo page   {url}/",
        f"  API docs    {url}/docs",
        f"  database    {stack.database_description}",
        f"  timeouts    worker {options.function_timeout_s:g} s per chunk, "
        f"stream {options.stream_timeout_s:g} s per connection",
        f"  worker      {driver.name}: {driver.summary} (JOBSTREAM_DRIVER: {' | '.join(DRIVERS)})",
        "",
        f"  callers     {_callers(stack.settings)}",
        "",
        "Try it with curl (a job of 60 one-second steps, streamed live):",
        "",
        f"  JOB=$(curl -s -X POST {jobs} -H 'Content-Type: application/json' \\",
        *(
            ['        -H "Authorization: Bearer $ACCESS_TOKEN" \\']
            if stack.settings.api_auth == "jwt"
            else []
        ),
        f"        -d {shlex.quote(_EXAMPLE_JOB)})",
        f'  TOKEN=$(echo "$JOB" | {pick} token)',
        f'  EVENTS_URL=$(echo "$JOB" | {pick} events_url)',
        '  curl -N -H "Authorization: Bearer $TOKEN" "$EVENTS_URL"',
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _callers(settings: Settings) -> str:
    if settings.api_auth == "jwt":
        return (
            f"JWT from {settings.jwt_issuer} (audience {settings.jwt_audience}) on every API "
            "request; set ACCESS_TOKEN below"
        )
    return "anyone may start jobs (JOBSTREAM_API_AUTH=none); a job opens with its token"


def _fail(out: TextIO, message: str) -> int:
    out.write(f"error: {message}\n")
    out.flush()
    return 1


if __name__ == "__main__":
    sys.exit(main())
