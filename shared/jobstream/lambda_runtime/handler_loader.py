"""Import the function's handler from ``_HANDLER`` the way Lambda's Python runtime does.

``_HANDLER`` is ``module.function`` (``app.handler``; ``pkg/mod.fn`` also works), resolved with the
function's code folder (``LAMBDA_TASK_ROOT``) first on ``sys.path``: that is how the managed
runtime makes ``/var/task/app.py`` importable as ``app``. Failures carry the error types Lambda
itself reports at init (``Runtime.ImportModuleError`` and friends).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, cast

from jobstream.errors import ConfigurationError
from jobstream.lambda_runtime.errors import ErrorReport
from jobstream.response_stream.delivery import Handler


class HandlerLoadError(ConfigurationError):
    def __init__(self, report: ErrorReport) -> None:
        super().__init__(f"{report.error_type}: {report.message}")
        self.report = report


def load_handler(spec: str, *, task_root: str | None) -> Handler:
    if task_root:
        # First, even if already present further down (``python -m`` put the working directory
        # there): the function's own modules win, as on the managed runtime.
        sys.path[:] = [task_root, *(entry for entry in sys.path if entry != task_root)]
    module_path, _, attribute = spec.rpartition(".")
    if not module_path or not attribute:
        raise HandlerLoadError(
            ErrorReport(
                "Runtime.MalformedHandlerName",
                f"Bad handler '{spec}': expected 'module.function'",
            )
        )
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise _load_error(exc, "Runtime.UserCodeSyntaxError", module_name) from exc
    except Exception as exc:
        # ImportError and anything the module raises while it initialises.
        raise _load_error(exc, "Runtime.ImportModuleError", module_name) from exc
    handler: Any = getattr(module, attribute, None)
    if not callable(handler):
        raise HandlerLoadError(
            ErrorReport(
                "Runtime.HandlerNotFound",
                f"Handler '{attribute}' missing on module '{module_name}'",
            )
        )
    return cast(Handler, handler)


def _load_error(exc: Exception, error_type: str, module_name: str) -> HandlerLoadError:
    cause = ErrorReport.from_exception(exc)
    return HandlerLoadError(
        ErrorReport(
            error_type,
            f"Unable to import module '{module_name}': {type(exc).__name__}: {exc}",
            cause.stack_trace,
        )
    )
