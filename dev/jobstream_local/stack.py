"""The whole system on one machine: ``LocalStack`` (what `make run` starts, and what tests start).

Same code paths as on Lambda; only the transports differ:

- jobs API: the same ``create_app`` app, under uvicorn instead of Mangum;
- stream function: the same ``open_stream`` (jobstream.composition), behind the local Function
  URL (FunctionURLApp) instead of a streaming Function URL, with ``stream_timeout_s`` as its
  function timeout;
- worker function: the same ``run_worker_hop``, in a thread (ThreadWorkerInvoker) instead of an
  asynchronous invoke, with ``function_timeout_s`` as its simulated function timeout; with
  JOBSTREAM_DRIVER=durable, the same durable handler in AWS's local durable runner (durable.py);
- DynamoDB: an embedded moto server by default, DynamoDB Local, or the real table (database.py).

Both services are built by jobstream.composition, as the handlers build theirs. Everything is
served on one origin (see site.py); the demo page is at ``/``.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn

from jobstream.api import create_app
from jobstream.auth.jwt_verifier import JwtVerifier
from jobstream.composition import (
    StreamDependencies,
    job_service,
    open_stream,
    run_worker_hop,
    stream_dependencies,
)
from jobstream.jobs import JobService, ThreadWorkerInvoker, WorkerRequest
from jobstream.jobs.drivers import chosen_driver
from jobstream.jobs.invokers import WorkerTarget
from jobstream.lazy import Lazy
from jobstream.response_stream.delivery import Handler
from jobstream.response_stream.response import StreamingResponse, streaming_handler
from jobstream.settings import Settings
from jobstream.tail import StreamStats
from jobstream_local.database import DatabaseChoice, LocalDatabase
from jobstream_local.dev_issuer import DEV_AUDIENCE, DevIssuer, callers_app, require_loopback
from jobstream_local.durable import LocalDurableInvoker
from jobstream_local.function_url import FunctionURLApp
from jobstream_local.shutdown import Shutdown
from jobstream_local.site import default_web_root, one_origin_app

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Short enough that a one-minute demo job really runs as several worker chunks (hops).
DEFAULT_FUNCTION_TIMEOUT_S = 20.0
# Short enough that a viewer really sees a stream end at its deadline and resume.
DEFAULT_STREAM_TIMEOUT_S = 60.0
# Lambda functions stop at 900 s; a longer local timeout would hide what happens on AWS.
MAX_TIMEOUT_S = 900.0
# Unless set explicitly, the safety margins (Settings.chunk_safety_margin_seconds and
# stream_deadline_margin_seconds, sized for Lambda's minutes-long timeouts) are at most this share
# of the local timeouts, or a chunk or stream of a few seconds would have no time left at all.
_MARGIN_SHARE = 0.25
# Bounds on each shutdown phase: the HTTP server, then the worker threads.
_SERVER_STOP_S = 5
_WORKERS_STOP_S = 5.0


class LocalStack:
    """Start with ``start()`` (or ``with LocalStack() as stack:``); ``url`` is then its origin.

    ``port=0`` picks a free port. ``settings`` defaults to ``Settings()`` (the environment); the
    stack adapts it for local use (see ``local_settings``). ``database`` defaults to the embedded
    DynamoDB, or to the endpoint in ``settings.dynamodb_endpoint_url`` when that is set.
    ``web_root`` and ``template_path`` default to web/ and template.yaml of the repository
    ``jobstream_local.repo.find_repo_root`` finds. ``dev_issuer``: run the dev-only loopback OIDC
    issuer (jobstream_local.dev_issuer) and authenticate API callers against it
    (``dev_issuer`` the property; its callers' tokens at ``GET /dev/callers``).

    A stream whose client disconnects runs on until it ends by itself, as on Lambda, unless
    ``stop_streams_on_disconnect``. ``stream_concurrency`` is how many streams run at once (each
    holds a thread); more wait for one to end, a limit Lambda (1,000 a region by default) would not
    put so low: raise it where the number of streams is what is measured. ``on_stream_close`` is
    told what each stream did when it ends (as the Lambda handler's metrics are; the bench).
    """

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        function_timeout_s: float = DEFAULT_FUNCTION_TIMEOUT_S,
        stream_timeout_s: float = DEFAULT_STREAM_TIMEOUT_S,
        settings: Settings | None = None,
        database: DatabaseChoice | None = None,
        web_root: Path | None = None,
        template_path: Path | None = None,
        stop_streams_on_disconnect: bool = False,
        stream_concurrency: int = 100,
        on_stream_close: Callable[[StreamStats], None] | None = None,
        dev_issuer: bool = False,
    ) -> None:
        for name, value in (("function", function_timeout_s), ("stream", stream_timeout_s)):
            if not 0 < value <= MAX_TIMEOUT_S:
                raise ValueError(f"the {name} timeout must be in (0, {MAX_TIMEOUT_S:g}] seconds")
        self._host = host
        self._port = port
        self.function_timeout_s = function_timeout_s
        self.stream_timeout_s = stream_timeout_s
        self._base_settings = settings
        self._database_choice = database
        self._web_root = web_root or default_web_root()
        self._template_path = template_path
        self._stop_streams_on_disconnect = stop_streams_on_disconnect
        self._stream_concurrency = stream_concurrency
        self._on_stream_close = on_stream_close
        self._use_dev_issuer = dev_issuer
        self._dev_issuer: DevIssuer | None = None
        self._shutdown = Shutdown()
        self._database: LocalDatabase | None = None
        self._invoker: ThreadWorkerInvoker | None = None
        self._durable: LocalDurableInvoker | None = None
        self._server: _Server | None = None
        self._server_thread: threading.Thread | None = None
        self._url: str | None = None
        self._settings: Settings | None = None
        self._jobs: JobService | None = None

    # --- what callers read once started -----------------------------------------------------------
    @property
    def url(self) -> str:
        """The origin everything is served on, e.g. ``http://127.0.0.1:8000``."""
        if self._url is None:
            raise RuntimeError("the stack is not started")
        return self._url

    @property
    def settings(self) -> Settings:
        """The settings every part runs with (token key, endpoint and margins filled in)."""
        if self._settings is None:
            raise RuntimeError("the stack is not started")
        return self._settings

    @property
    def jobs(self) -> JobService:
        """The JobService the API, the stream and the worker share (tests read the store here)."""
        if self._jobs is None:
            raise RuntimeError("the stack is not started")
        return self._jobs

    @property
    def dev_issuer(self) -> DevIssuer | None:
        """The loopback OIDC issuer the API trusts, when the stack runs one (``dev_issuer``)."""
        return self._dev_issuer

    @property
    def database_description(self) -> str:
        return self._database.description if self._database is not None else ""

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> str:
        """Start the database, the services and the HTTP server; return ``url`` once it serves.

        Raises DatabaseUnavailable (jobstream_local.database) if the chosen DynamoDB cannot be used
        and OSError if the port is taken; nothing is left running then.
        """
        if self._url is not None or self._shutdown.begun:
            raise RuntimeError("a LocalStack starts once; make a new one")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _start(self) -> None:
        base = self._caller_settings(self._base_settings or Settings())
        choice = self._database_choice or DatabaseChoice(endpoint_url=base.dynamodb_endpoint_url)
        # Bound first: the origin (for CORS and the banner) must be known before the app exists,
        # and connecting clients wait in the backlog instead of being refused.
        sock = _listening_socket(self._host, self._port)
        try:
            host, port = sock.getsockname()[:2]
            origin = f"http://{_url_host(host)}:{port}"
            self._database = LocalDatabase(choice, settings=base, template_path=self._template_path)
            dynamodb = self._database.start()
            settings = local_settings(
                base,
                origin=origin,
                endpoint_url=self._database.endpoint_url,
                function_timeout_s=self.function_timeout_s,
                stream_timeout_s=self.stream_timeout_s,
            )
            jobs = _LOCAL_WORKERS[chosen_driver(settings).name](self, settings, dynamodb)
            app = one_origin_app(
                api=create_app(settings, service=jobs, dynamodb=dynamodb),
                stream=FunctionURLApp(
                    self._stream_handler(settings, jobs),
                    timeout_s=self.stream_timeout_s,
                    function_name="stream",
                    max_concurrent=self._stream_concurrency,
                    stop_on_disconnect=self._stop_streams_on_disconnect,
                ),
                web_root=self._web_root,
                allowed_origins=settings.cors_allowed_origins,
                dev_callers=callers_app(self._dev_issuer) if self._dev_issuer else None,
            )
            self._server = _Server(
                uvicorn.Config(
                    app,
                    # Off: its lines would carry the ?token= of stream and status URLs. The API
                    # logs each request itself, without the query string; streams log open/close.
                    access_log=False,
                    log_level="warning",
                    # Like Lambda: no startup or shutdown hooks.
                    lifespan="off",
                    timeout_graceful_shutdown=_SERVER_STOP_S,
                )
            )
        except BaseException:
            sock.close()
            raise
        self._settings = settings
        self._jobs = jobs
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, args=(sock,), name="local-http", daemon=True
        )
        self._server_thread.start()
        self._server.ready.wait()
        if not self._server.started:
            raise RuntimeError("the HTTP server did not start (see the log above)")
        self._url = origin
        logger.info(
            "local stack started",
            extra={"url": origin},
        )

    def _caller_settings(self, base: Settings) -> Settings:
        """With ``dev_issuer``: start it and trust it (jwt, its URL and audience). Then, under
        jwt, fetch the issuer's keys once, so a wrong issuer or key set URL fails the start with
        one message (JwtKeysUnusable) rather than every request after it."""
        if self._use_dev_issuer:
            require_loopback(self._host)
            self._dev_issuer = DevIssuer(audience=base.jwt_audience or DEV_AUDIENCE)
            base = base.with_changes(
                {
                    "api_auth": "jwt",
                    "jwt_issuer": self._dev_issuer.start(),
                    "jwt_audience": self._dev_issuer.audience,
                    "jwt_jwks_url": None,
                }
            )
        if base.api_auth == "jwt":
            JwtVerifier.from_settings(base).check_keys()
        return base

    def stop(self) -> None:
        """Stop everything, each phase bounded: open streams end as at their deadline, worker
        chunks checkpoint at their next step, then the server, the workers and the database stop.
        Safe to call more than once, and after a failed start."""
        self._shutdown.begin()
        if self._invoker is not None:
            self._invoker.close(timeout=0)  # no new chunks from here on
        if self._server is not None and self._server_thread is not None:
            self._server.should_exit = True
            self._server_thread.join(_SERVER_STOP_S + 1)
            if self._server_thread.is_alive():
                logger.warning("HTTP server did not stop in time; forcing it")
                self._server.force_exit = True
                self._server_thread.join(1)
            self._server = self._server_thread = None
        if self._invoker is not None:
            if not self._invoker.wait_idle(_WORKERS_STOP_S):
                logger.warning("worker threads still running after %.0f s", _WORKERS_STOP_S)
            self._invoker = None
        if self._durable is not None:
            self._durable.close()
            self._durable = None
        if self._database is not None:
            self._database.stop()
        if self._dev_issuer is not None:
            self._dev_issuer.stop()
        self._url = None

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the two functions, on local transports ---------------------------------------------------
    def _chain_workers(self, settings: Settings, dynamodb: DynamoDBClient) -> JobService:
        """The chain: each hop in a thread, as the worker function invoked asynchronously."""
        self._invoker = ThreadWorkerInvoker(timeout_s=self.function_timeout_s)
        jobs = job_service(settings, invoker=self._invoker, dynamodb=dynamodb)
        self._invoker.bind(self._worker_target(jobs))
        return jobs

    def _durable_workers(self, settings: Settings, dynamodb: DynamoDBClient) -> JobService:
        """Durable: each job's execution in AWS's local durable runner."""
        self._durable = LocalDurableInvoker(
            timeout_s=self.function_timeout_s,
            remaining=self._shutdown.remaining(lambda: float("inf")),
        )
        jobs = job_service(settings, invoker=self._durable, dynamodb=dynamodb)
        self._durable.bind(jobs)
        return jobs

    def _worker_target(self, jobs: JobService) -> WorkerTarget:
        shutdown = self._shutdown

        def run(job_id: str, hop: int, remaining_s: Callable[[], float]) -> object:
            request = WorkerRequest(job_id=job_id, hop=hop)
            return run_worker_hop(jobs, request, shutdown.remaining(remaining_s))

        return run

    def _stream_handler(self, settings: Settings, jobs: JobService) -> Handler:
        # The stream function's wiring (functions/stream/app.py), with the local stack's store and
        # a clock that a shutdown interrupts.
        dependencies: Lazy[[], StreamDependencies] = Lazy(
            lambda: stream_dependencies(
                settings,
                store=jobs.store,
                jobs=lambda: jobs,
                clock=self._shutdown,
                on_close=self._on_stream_close,
            )
        )

        @streaming_handler
        def handler(event: dict[str, Any], context: Any) -> StreamingResponse:
            return open_stream(event, context, dependencies=dependencies)

        return handler


# How the local stack runs each worker driver (jobstream.jobs.drivers.DRIVERS): by the name
# chosen once, like the Lambda worker function (functions/worker/app.py).
_LOCAL_WORKERS: dict[str, Callable[[LocalStack, Settings, DynamoDBClient], JobService]] = {
    "chain": LocalStack._chain_workers,
    "durable": LocalStack._durable_workers,
}


def local_settings(
    base: Settings,
    *,
    origin: str,
    endpoint_url: str | None,
    function_timeout_s: float,
    stream_timeout_s: float,
) -> Settings:
    """``base`` adapted to one local origin: the stream on the API's origin, CORS for it, the
    database endpoint, the worker's timeout, a fresh token key unless one is set, and margins
    that fit the local timeouts and no per-address create rate unless set explicitly."""
    update: dict[str, Any] = {
        "dynamodb_endpoint_url": endpoint_url,
        "local_function_timeout_s": function_timeout_s,
        "stream_base_url": None,
        "cors_allowed_origins": _unique([origin, *base.cors_allowed_origins]),
    }
    if not base.token_key:
        update["token_key"] = secrets.token_hex(32)
    explicit = base.fields_given
    if "chunk_safety_margin_seconds" not in explicit:
        update["chunk_safety_margin_seconds"] = min(
            base.chunk_safety_margin_seconds, function_timeout_s * _MARGIN_SHARE
        )
    if "max_creates_per_address" not in explicit:
        # Locally every request comes from one loopback address (the developer's, the tests',
        # the bench's): counting them would only throttle the one user. Set it to try the bound.
        update["max_creates_per_address"] = 0
    if "stream_deadline_margin_seconds" not in explicit:
        update["stream_deadline_margin_seconds"] = min(
            base.stream_deadline_margin_seconds, stream_timeout_s * _MARGIN_SHARE
        )
    return base.with_changes(update)


class _Server(uvicorn.Server):
    """uvicorn in a thread of its own, with an event for "listening (or failed to)"."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def serve_forever(self, sock: socket.socket) -> None:
        try:
            self.run(sockets=[sock])
        except BaseException:
            logger.exception("the HTTP server failed")
        finally:
            # A failure before startup() never reached it; whoever waits must not wait forever.
            self.ready.set()
            sock.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))
