"""One settings object, read from the environment (``JOBSTREAM_*``) with embedded defaults.

Every knob lives here so that handlers, the local server and tests configure the same
thing the same way. Handlers build it once per container; tests pass overrides explicitly. Built on
jobstream.env_settings (the standard library), not pydantic-settings: every cold start builds one.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from jobstream.env_settings import EnvSettings, required, setting


class Settings(EnvSettings):
    env_prefix: ClassVar[str] = "JOBSTREAM_"

    # --- DynamoDB -------------------------------------------------------------------------------
    table: str = "jobstream"
    # Set only for local stacks (moto server) or DynamoDB Local; None means the real AWS endpoint.
    dynamodb_endpoint_url: str | None = None
    region: str = setting(default="us-east-1")
    retention_days: float = setting(default=7, gt=0, le=365)

    # --- Event log writes -----------------------------------------------------------------------
    # A step finishing when nothing was written for this long is written at once; steps finishing
    # sooner are batched into one append, written when the window has passed (see jobs/commit.py).
    flush_interval_ms: int = setting(default=50, ge=0, le=5_000)

    # --- Streams --------------------------------------------------------------------------------
    heartbeat_seconds: float = setting(default=15, gt=0, le=300)
    # The stream ends this long before the invocation deadline so the client reconnects cleanly.
    stream_deadline_margin_seconds: float = setting(default=5, ge=0)
    # Hard bound on one stream's life; None means "function timeout minus margin". Also read from
    # STREAM_MAX_SECONDS, the name the issue tracker uses (JOBSTREAM_STREAM_MAX_SECONDS wins).
    stream_max_seconds: float | None = setting(
        default=None, gt=0, env_aliases=("stream_max_seconds",)
    )
    # Tail polling of the event log (jobstream.tail.polling): probes this often around the time the
    # job's next commit is due; waits up to the ceiling when the job is quiet, which sets an idle
    # stream's cost (3000 ms = 20 Queries/min; never more than 60 in any minute); and at least the
    # busy interval after a poll that found events, which bounds a busy job's reads per viewer.
    stream_poll_min_ms: int = setting(default=25, ge=1, le=1_000)
    stream_poll_max_ms: int = setting(default=3_000, ge=1, le=60_000)
    stream_poll_busy_ms: int = setting(default=75, ge=1, le=60_000)
    # Reconnection delay sent in the first frame's ``retry:`` field.
    stream_retry_ms: int = setting(default=1_000, ge=0)
    # Windows (jobstream.tail.service): Lambda never tells a stream that its viewer left, so a
    # connection lasts at most this long (0: no windows, only the deadline) and the client
    # reconnects with Last-Event-ID; an abandoned stream costs at most one window. From two thirds
    # of it on, the window ends where the job's learned cadence predicts at least
    # ``stream_window_quiet_ms`` without an event, so the reconnect falls between two events.
    stream_window_seconds: float = setting(default=45, ge=0, le=900)
    stream_window_quiet_ms: int = setting(default=500, ge=0, le=60_000)
    # The ``retry:`` sent just before a window ends: the client comes back at once.
    stream_window_retry_ms: int = setting(default=0, ge=0, le=60_000)
    # Live streams one job may have at once (jobstream.store.stream_slots); one more is answered
    # 429 with Retry-After. A viewer's newer stream takes its older one's place instead of
    # counting twice. 0: no cap, and no "one stream per viewer" either (no slot items at all).
    stream_max_per_job: int = setting(default=10, ge=0, le=1_000)

    # --- Jobs -------------------------------------------------------------------------------------
    lease_seconds: float = setting(default=60, gt=0)
    chunk_safety_margin_seconds: float = setting(default=10, ge=0)
    max_hops: int = setting(default=200, ge=1)
    max_step_attempts: int = setting(default=3, ge=1)
    max_params_bytes: int = setting(default=64 * 1024, ge=1)
    # First retry delay of a failed step; doubles per attempt (capped at step_retry_max_seconds).
    step_retry_base_seconds: float = setting(default=0.5, ge=0)
    step_retry_max_seconds: float = setting(default=10, ge=0)
    # How often a running job re-reads its item for a cancel request (one consistent read each).
    cancel_check_seconds: float = setting(default=1, ge=0)
    # A job neither leased nor finished for this long is re-started by JobService.status(); a lease
    # that has expired is re-started at once.
    stall_after_seconds: float = setting(default=30, gt=0)
    # The scheduled sweep (jobs/sweep.py) ends with an ``error`` event an unfinished job that
    # nothing has driven for this long (no lease, no write): an inline job nobody opened, a chain
    # whose worker died. Far above stall_after_seconds: a status read restarts a stalled job first.
    abandon_after_seconds: float = setting(default=900, ge=60, le=7 * 24 * 3600)
    # Name or ARN of the worker function, for the API and stream functions to start it (the worker
    # continues itself on its own invoked ARN).
    worker_function: str | None = None
    # False runs inline job types in the background like the rest (stream function stays read-only).
    mode_inline_enabled: bool = True
    # Local stack: the function timeout a worker run in a background thread pretends to have.
    local_function_timeout_s: float = setting(default=60, gt=0, le=900)
    # "module:attribute" naming the JobRegistry (or a function returning one) every function loads,
    # so the API validates exactly the job types the worker runs. Point it at your own module.
    job_registry: str = "jobstream.examples.demo:registry"

    # --- Worker driver ---------------------------------------------------------------------------
    # "chain": the worker runs a chunk per invocation and invokes itself for the next (driver.py).
    # "durable": one Lambda durable execution per job (durable_driver.py; docs/deploy.md compares).
    driver: Literal["chain", "durable"] = "chain"
    # Durable driver: a ctx.sleep() at least this long becomes a durable wait (the invocation ends
    # and Lambda resumes the job after it; no compute is billed meanwhile). Shorter ones sleep.
    durable_wait_min_seconds: float = setting(default=5, ge=1)
    # Durable driver: a durable step runs job steps for up to this long (0: exactly one job step
    # per durable step). Longer means fewer durable operations; a replay redoes nothing either way.
    durable_step_seconds: float = setting(default=10, ge=0, le=900)
    # Durable driver: attempts of a durable step that fails for a reason outside the job (DynamoDB
    # unreachable, ...) before the job fails. A job's own step failures follow max_step_attempts.
    durable_step_max_attempts: int = setting(default=8, ge=1, le=100)
    # Durable driver: the template's DurableExecutionTimeout. Lambda stops an execution then, and
    # nothing inside it can write the job's end: a status read past this (plus a grace period)
    # fails the job with a terminal event instead, so its viewers stop waiting.
    durable_execution_timeout_seconds: float = setting(default=86_400, gt=0)

    # --- Tokens ---------------------------------------------------------------------------------
    # Key for per-job bearer tokens. In AWS it comes from Secrets Manager (token_key_secret, the
    # template's rotated TokenKeySecret) or SSM; locally it is generated at start-up unless set.
    token_key: str | None = setting(default=None, repr=False)
    token_key_parameter: str | None = None
    # View tokens (read a job, open its stream; the ones that travel in ?token= URLs) live minutes:
    # a leaked link stops working soon. Clients get fresh ones before this runs out
    # (POST /jobs/{id}/token) with the caller's credential, or under ApiAuth none the job's control
    # token (docs/deploy.md, "Job tokens").
    token_ttl_seconds: float = setting(default=600, gt=0, le=7 * 24 * 3600)
    # Control tokens (ApiAuth none: cancel, fresh view tokens; header only, never in a URL) live as
    # long as the job's creator may come back to it. Keep it below the key's rotation interval: a
    # token outlives one rotation (its key becomes the previous one), not two.
    control_token_ttl_seconds: float = setting(default=7 * 24 * 3600, gt=0, le=366 * 24 * 3600)

    # --- Jobs API -------------------------------------------------------------------------------
    # Origin of the stream function (its Function URL); events_url is built on it. None means the
    # API's own origin, as on the local stack where API and stream share one server.
    stream_base_url: str | None = None
    # Browser origins allowed by CORS, on the jobs API and on the stream (jobstream.tail.cors;
    # "*" allows any). Empty: same origin only. From the environment either a JSON list or
    # comma-separated (CloudFormation's !Join of a CommaDelimitedList).
    cors_allowed_origins: list[str] = setting(default_factory=list)
    # A retried POST /jobs with the same Idempotency-Key returns the first answer for this long.
    idempotency_ttl_seconds: int = setting(default=3600, ge=60, le=30 * 24 * 3600)
    # Request budget where no Lambda context exists (local server, tests); on Lambda the context's
    # remaining time is used. Bounds how long a crashed create blocks a retry with the same key.
    api_timeout_seconds: float = setting(default=10, gt=0, le=900)
    # Secrets Manager secret holding the token key (the template's TokenKeySecret); tried after
    # token_key and before token_key_parameter.
    token_key_secret: str | None = None

    # --- Callers: who may use the jobs API (docs/deploy.md, "Who may start jobs") -------------
    # none: anyone who reaches the API may create jobs; a job opens with its token only (make run).
    # jwt: every jobs API request carries 'Authorization: Bearer <JWT>' from the OIDC issuer below;
    # the caller is the token's issuer and ``sub`` (a job stored under ``sub`` alone, before owners
    # named their issuer, is still that caller's). iam: the API's Function URL uses AWS_IAM and the
    # caller is the IAM principal Lambda reports. Under jwt and iam a job has an owner, GET /jobs
    # lists the caller's jobs and the quotas below apply.
    # No default (issue 22): a function deployed outside our template, with this unset, would run
    # open to anyone if "none" were assumed; it fails to start instead, naming the setting. The
    # template sets it on every function (ApiAuth), `make run` and `make invoke` to none.
    api_auth: Literal["none", "jwt", "iam"] = required(
        'who may use the jobs API (docs/deploy.md, "Who may start jobs"); `make run` sets none'
    )
    # The issuer's ``iss`` exactly as it appears in its tokens, e.g. Cognito's
    # https://cognito-idp.<region>.amazonaws.com/<user pool id>.
    jwt_issuer: str | None = None
    # Accepted in ``aud``, or in ``client_id`` for tokens without ``aud`` (Cognito access tokens):
    # the same rule as API Gateway's JWT authorizers. Cognito: the app client id.
    jwt_audience: str | None = None
    # None: <issuer>/.well-known/jwks.json (Cognito, Auth0, Okta and most issuers serve it there).
    jwt_jwks_url: str | None = None
    # What kind of JWT is accepted (docs/deploy.md, "Who may start jobs"): an ID token proves who
    # signed in to a client, an access token is what an API is meant to accept. Cognito says which
    # in its token_use claim ("access" or "id"); RFC 9068 access tokens (Auth0, Okta, ...) in the
    # header's typ ("at+jwt"). None: not checked.
    jwt_token_use: Literal["access", "id"] | None = None
    jwt_typ: Literal["at+jwt"] | None = None
    # Scopes per operation (docs/deploy.md, "Scopes per operation"): a JWT must carry at least one
    # of an operation's scopes in its scope (or scp) claim, as API Gateway's JWT authorizers check
    # a route's; a valid JWT with none of them is a 403. Empty: no scope needed (any valid JWT).
    # create: POST /jobs; read: a job's status and a fresh token for it; cancel: a job's cancel;
    # list: GET /jobs. Under jwt only. From the environment a JSON list or comma-separated.
    jwt_create_scopes: list[str] = setting(default_factory=list)
    jwt_read_scopes: list[str] = setting(default_factory=list)
    jwt_cancel_scopes: list[str] = setting(default_factory=list)
    jwt_list_scopes: list[str] = setting(default_factory=list)
    # Clock skew allowed on exp, nbf and iat.
    jwt_leeway_seconds: float = setting(default=30, ge=0, le=300)
    # The issuer's key set is cached this long; a token naming a key not in it refetches the set at
    # most once per jwks_refresh_seconds (a flood of made-up key ids costs one fetch per interval).
    jwks_cache_seconds: float = setting(default=300, gt=0, le=86_400)
    jwks_refresh_seconds: float = setting(default=30, ge=0, le=3_600)
    # Per caller (jwt, iam): jobs created and not yet finished, and the create rate: a token
    # bucket (store/quotas.py) of bursts of up to max_creates, refilled at that many per
    # create_rate_window_seconds (never twice the limit across a window's boundary).
    max_active_jobs_per_caller: int = setting(default=10, ge=1, le=1_000)
    max_creates_per_caller: int = setting(default=60, ge=1, le=100_000)
    # Under "none" there is no caller, and anyone who can reach the API can create a job to get a
    # fresh job token (and so streams beyond any one job's cap): creates are counted per source
    # address instead, at this rate per create_rate_window_seconds (0: unbounded).
    max_creates_per_address: int = setting(default=60, ge=0, le=100_000)
    create_rate_window_seconds: int = setting(default=60, ge=1, le=86_400)
