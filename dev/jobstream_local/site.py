"""One origin for everything the local stack serves, the way a browser sees it in one place.

On AWS the jobs API and the stream are two Function URLs and the demo page is hosted anywhere;
locally they share one server, routed by path:

- ``/jobs/{job_id}/events``: the stream function behind the local Function URL, with the CORS
  rules template.yaml gives the stream's Function URL (on AWS the Function URL itself answers
  preflights and adds the headers; the function never sees them);
- ``/jobs`` and below, ``/docs``, ``/openapi.json``: the jobs API (its own CORS middleware);
- ``/dev/callers``: access tokens of the dev issuer's example callers, when the stack runs one
  (``JOBSTREAM_API_AUTH=jwt`` without an issuer of your own), else 404;
- everything else: the static files of ``web/`` (``index.html`` at ``/``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import JSONResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from jobstream.tail import cors
from jobstream_local.repo import find_repo_root

STREAM_PATH = re.compile(r"/jobs/[^/]+/events")
API_PATHS = frozenset({"/jobs", "/docs", "/docs/oauth2-redirect", "/openapi.json"})
API_PREFIX = "/jobs/"
# The dev issuer's example callers (jobstream_local.dev_issuer), when the stack runs one.
DEV_CALLERS_PATH = "/dev/callers"
# web/ is also an npm package: its installed dependencies and build tooling are not the site.
NOT_SERVED_PREFIXES = ("/node_modules/", "/test-app/node_modules/")


def default_web_root() -> Path:
    """web/ of the repository ``find_repo_root`` finds (``$JOBSTREAM_REPO`` or above the current
    directory); raises RepoNotFound, saying where it looked, if there is none."""
    return find_repo_root() / "web"


def one_origin_app(
    *,
    api: ASGIApp,
    stream: ASGIApp,
    web_root: Path,
    allowed_origins: Sequence[str],
    dev_callers: ASGIApp | None = None,
) -> ASGIApp:
    if not (web_root / "index.html").is_file():
        raise FileNotFoundError(f"no index.html in {web_root}: the demo page cannot be served")
    stream_with_cors = CORSMiddleware(
        stream,
        allow_origins=list(allowed_origins),
        # The stream's CORS rule (jobstream.tail.cors), as the Function URL applies it on AWS.
        allow_methods=cors.ALLOW_METHODS,
        allow_headers=cors.ALLOW_HEADERS,
        max_age=cors.MAX_AGE_SECONDS,
    )
    # StaticFiles raises HTTPException for a missing file and leaves the 404 response to this.
    static = ExceptionMiddleware(StaticFiles(directory=web_root, html=True))
    return _PathDispatch(
        api=api, stream=stream_with_cors, static=static, dev_callers=dev_callers or _not_found
    )


class _PathDispatch:
    """Hands each request, untouched, to the app its path belongs to.

    By hand rather than with Starlette's Router: a Router records itself in the scope as the
    router that ``request.url_for`` resolves route names against, and the API's own routes would
    then not be found (its status_url is built with url_for).
    """

    def __init__(
        self, *, api: ASGIApp, stream: ASGIApp, static: ASGIApp, dev_callers: ASGIApp
    ) -> None:
        self._api = api
        self._stream = stream
        self._static = static
        self._dev_callers = dev_callers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # The apps have no startup or shutdown work (as on Lambda); the server runs with
            # lifespan off, so this is only reached if someone turns it on.
            await self._api(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if STREAM_PATH.fullmatch(path):
            app = self._stream
        elif path in API_PATHS or path.startswith(API_PREFIX):
            app = self._api
        elif path == DEV_CALLERS_PATH:
            app = self._dev_callers
        elif path.startswith(NOT_SERVED_PREFIXES):
            app = _not_found
        else:
            app = self._static
        await app(scope, receive, send)


_not_found = JSONResponse({"error": "not_found", "message": "no such file"}, status_code=404)
