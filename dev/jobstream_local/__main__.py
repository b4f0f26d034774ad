"""``python -m jobstream_local`` (what `make run` runs): the whole system on this machine.

Starts a LocalStack, prints its URL and a curl example, and runs until SIGINT (Ctrl-C) or
SIGTERM, then stops it cleanly and exits 0. A second signal during the shutdown exits at once.
Options: ``--help`` (see jobstream_local.options).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from jobstream.auth.jwt_verifier import JwtKeysUnusable, JwtSettingsMissing
from jobstream.env_settings import SettingsError
from jobstream.jobs.drivers import DRIVERS, chosen_driver
from jobstream.jobs.errors import RegistryNotFound
from jobstream.settings import Settings
from jobstream_local.console_log import use_console_log
from jobstream_local.database import DatabaseChoice, DatabaseUnavailable
from jobstream_local.dev_issuer import EXAMPLE_CALLERS, NotLoopback
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
    # The code has no default auth mode (a function deployed without one must not run open): the
    # local stack chooses none unless told otherwise, and its banner says so.
    os.environ.setdefault("JOBSTREAM_API_AUTH", "none")
    try:
        try:
            settings = Settings()
        except SettingsError as error:
            return _fail(err, str(error))
        if settings.api_auth == "iam":
            # The principal comes from Lambda's check of a SigV4 signature, which nothing here does.
            return _fail(
                err,
                "JOBSTREAM_API_AUTH=iam needs the API's AWS_IAM Function URL on Lambda; locally "
                "use none (what `make run` sets) or jwt, with JOBSTREAM_JWT_ISSUER and "
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
            stop_streams_on_disconnect=options.stop_streams_on_disconnect,
            settings=settings,
            database=database,
            web_root=options.repo / "web",
            template_path=options.repo / "template.yaml",
            # Caller authentication with no issuer of your own: the dev one, on loopback.
            dev_issuer=settings.api_auth == "jwt" and not settings.jwt_issuer,
        )
        try:
            stack.start()
        except (
            DatabaseUnavailable,
            OSError,
            JwtSettingsMissing,
            JwtKeysUnusable,
            NotLoopback,
            RegistryNotFound,
        ) as error:
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
    what, example = _example_job(stack)
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
        "  streams     "
        + (
            "stop when their client disconnects (--stop-streams-on-disconnect; Lambda does not)"
            if options.stop_streams_on_disconnect
            else "run on after their client leaves, as on Lambda (until they end by themselves)"
        ),
        f"  worker      {driver.name}: {driver.summary} (JOBSTREAM_DRIVER: {' | '.join(DRIVERS)})",
        "",
        f"  callers     {_callers(stack)}",
        *_dev_tokens(stack),
        "",
        f"Try it with curl ({what}, streamed live):",
        "",
        f"  JOB=$(curl -s -X POST {jobs} -H 'Content-Type: application/json' \\",
        *(
            ['        -H "Authorization: Bearer $ACCESS_TOKEN" \\']
            if stack.settings.api_auth == "jwt"
            else []
        ),
        f"        -d {shlex.quote(example)})",
        f'  TOKEN=$(echo "$JOB" | {pick} token)',
        f'  EVENTS_URL=$(echo "$JOB" | {pick} events_url)',
        '  curl -N -H "Authorization: Bearer $TOKEN" "$EVENTS_URL"',
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _example_job(stack: LocalStack) -> tuple[str, str]:
    """The curl example's job: demo.count where it is served, else the first type listed (its
    params are the user's to fill in: GET /jobs/types has their schema)."""
    names = stack.jobs.registry.names()
    if "demo.count" in names or not names:
        return "a job of 60 one-second steps", _EXAMPLE_JOB
    first = names[0]
    body = json.dumps({"type": first, "params": {}})
    return f"a {first} job: put its params in, GET {stack.url}/jobs/types lists them", body


def _callers(stack: LocalStack) -> str:
    settings = stack.settings
    if stack.dev_issuer is not None:
        return f"JWT on every API request, from the DEV issuer at {settings.jwt_issuer}"
    if settings.api_auth == "jwt":
        return (
            f"JWT from {settings.jwt_issuer} (audience {settings.jwt_audience}) on every API "
            "request: set ACCESS_TOKEN to one of yours for the curl below"
        )
    return "anyone may start jobs (JOBSTREAM_API_AUTH=none); a job opens with its token"


def _dev_tokens(stack: LocalStack) -> list[str]:
    issuer = stack.dev_issuer
    if issuer is None:
        return []
    indent = " " * 14
    return [
        f"{indent}(dev only: it signs for anyone who asks, and listens on loopback only)",
        f"{indent}the demo page signs in as {' or '.join(EXAMPLE_CALLERS)}; in a shell "
        '(curl below, or jobstream --access-token "$ACCESS_TOKEN"):',
        *(
            f"{indent}{name}: export ACCESS_TOKEN={issuer.access_token(name)}"
            for name in EXAMPLE_CALLERS
        ),
    ]


def _fail(out: TextIO, message: str) -> int:
    out.write(f"error: {message}\n")
    out.flush()
    return 1


if __name__ == "__main__":
    sys.exit(main())
