"""The command line of ``python -m jobstream_local`` (what `make run` runs), with environment
defaults: flags win over the environment, the environment over the built-in defaults.

=========================  ========================  =========================================
flag                       environment               default
=========================  ========================  =========================================
--host                     HOST                      127.0.0.1
--port                     PORT                      8000 (0: any free port)
--function-timeout         LOCAL_FUNCTION_TIMEOUT    20 s: the worker's simulated timeout
--stream-timeout           LOCAL_STREAM_TIMEOUT      60 s: the stream function's timeout
--aws                      JOBSTREAM_LOCAL_USE_AWS   off: use the real table (JOBSTREAM_TABLE)
--create-table                                       off: with --aws, create it if missing
--stop-streams-on-disconnect                         off: as on Lambda, a stream whose client
                         LOCAL_STOP_STREAMS_ON_      left runs on until it ends by itself; on:
                         DISCONNECT                  it stops at once (kinder to a laptop; no
                                                     Lambda does that)
--repo                     JOBSTREAM_REPO            the folder at or above the current one
                                                     holding template.yaml (web/ is served
                                                     from it, the table made from it)
=========================  ========================  =========================================

``JOBSTREAM_DYNAMODB_ENDPOINT_URL`` (a Settings field) points the stack at DynamoDB Local instead
of the embedded database; every other ``JOBSTREAM_*`` setting applies as on Lambda.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jobstream_local.repo import RepoNotFound, find_repo_root
from jobstream_local.stack import (
    DEFAULT_FUNCTION_TIMEOUT_S,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_STREAM_TIMEOUT_S,
    MAX_TIMEOUT_S,
)

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class LocalOptions:
    host: str
    port: int
    function_timeout_s: float
    stream_timeout_s: float
    use_aws: bool
    create_table: bool
    repo: Path
    stop_streams_on_disconnect: bool = False


def parse_options(argv: Sequence[str] | None, environ: Mapping[str, str]) -> LocalOptions:
    """Read the options; a bad value exits with status 2 and a message naming it."""
    parser = argparse.ArgumentParser(
        prog="python -m jobstream_local",
        description="Run jobstream locally: the jobs API, the stream and the demo page on one "
        "origin, the worker in threads, DynamoDB embedded (no AWS account needed).",
    )
    parser.add_argument("--host", help=f"interface to listen on (HOST; default {DEFAULT_HOST})")
    parser.add_argument("--port", help=f"port (PORT; default {DEFAULT_PORT}; 0 = any free port)")
    parser.add_argument(
        "--function-timeout",
        metavar="SECONDS",
        help="the worker's simulated function timeout (LOCAL_FUNCTION_TIMEOUT; default "
        f"{DEFAULT_FUNCTION_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--stream-timeout",
        metavar="SECONDS",
        help="the stream function's timeout (LOCAL_STREAM_TIMEOUT; default "
        f"{DEFAULT_STREAM_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--aws",
        action="store_true",
        help="use the real DynamoDB table named by JOBSTREAM_TABLE with your AWS credentials "
        "(JOBSTREAM_LOCAL_USE_AWS=1)",
    )
    parser.add_argument(
        "--create-table",
        action="store_true",
        help="with --aws: create the table from template.yaml if it does not exist",
    )
    parser.add_argument(
        "--stop-streams-on-disconnect",
        action="store_true",
        help="stop a stream as soon as its client disconnects (LOCAL_STOP_STREAMS_ON_DISCONNECT=1)."
        " Off by default: on Lambda a stream runs on, billed, until it ends by itself",
    )
    parser.add_argument(
        "--repo",
        metavar="PATH",
        help="the jobstream repository (JOBSTREAM_REPO; default: the folder at or above the "
        "current one that holds template.yaml)",
    )
    args = parser.parse_args(argv)

    def pick(flag: str, variable: str, default: object) -> tuple[str, str]:
        """The value and the name to blame for it: the flag if given, else the variable."""
        given: str | None = getattr(args, flag.removeprefix("--").replace("-", "_"))
        if given is not None:
            return given, flag
        return environ.get(variable, str(default)), variable

    host, _ = pick("--host", "HOST", DEFAULT_HOST)
    port_text, port_name = pick("--port", "PORT", DEFAULT_PORT)
    port = _number(parser, port_text, port_name)
    if not (port.is_integer() and 0 <= port <= 65_535):
        parser.error(f"{port_name} must be a whole number from 0 to 65535, not {port_text!r}")
    function_timeout = _timeout(
        parser,
        *pick("--function-timeout", "LOCAL_FUNCTION_TIMEOUT", DEFAULT_FUNCTION_TIMEOUT_S),
    )
    stream_timeout = _timeout(
        parser,
        *pick("--stream-timeout", "LOCAL_STREAM_TIMEOUT", DEFAULT_STREAM_TIMEOUT_S),
    )
    use_aws = bool(args.aws) or _flag(parser, environ, "JOBSTREAM_LOCAL_USE_AWS")
    if args.create_table and not use_aws:
        parser.error("--create-table only applies with --aws (JOBSTREAM_LOCAL_USE_AWS=1)")
    stop_on_disconnect = bool(args.stop_streams_on_disconnect) or _flag(
        parser, environ, "LOCAL_STOP_STREAMS_ON_DISCONNECT"
    )
    try:
        repo = find_repo_root(args.repo, environ=environ)
    except RepoNotFound as missing:
        parser.error(str(missing))
    return LocalOptions(
        host=host or DEFAULT_HOST,
        port=int(port),
        function_timeout_s=function_timeout,
        stream_timeout_s=stream_timeout,
        use_aws=use_aws,
        create_table=args.create_table,
        repo=repo,
        stop_streams_on_disconnect=stop_on_disconnect,
    )


def _number(parser: argparse.ArgumentParser, text: str, name: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        parser.error(f"{name} must be a number, not {text!r}")


def _timeout(parser: argparse.ArgumentParser, text: str, name: str) -> float:
    seconds = _number(parser, text, name)
    if not 0 < seconds <= MAX_TIMEOUT_S:
        parser.error(f"{name} must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds")
    return seconds


def _flag(parser: argparse.ArgumentParser, environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        parser.error(f"{name} must be 1 or 0, not {value!r}")
    return False
