"""Lambda's Invoke API, answered on loopback: what the jobs API calls to start the worker.

Every ``POST /2015-03-31/functions/<name>/invocations`` is answered 202 with an empty body (an
asynchronous invoke accepted), and counted. Point ``AWS_ENDPOINT_URL_LAMBDA`` at ``endpoint_url``.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LambdaInvokeDouble:
    def __init__(self) -> None:
        self.invocations = 0
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                double.invocations += 1
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LambdaInvokeDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
