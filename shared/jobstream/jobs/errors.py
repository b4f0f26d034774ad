"""Exceptions of the jobs layer (a job request's, UnknownJobType and InvalidParams, are in
jobstream.errors). JobError's message is safe to show a client; nothing here ever carries a stack
trace or an internal exception's text."""

from __future__ import annotations

from jobstream.errors import ConfigurationError, JobstreamError
from jobstream.store.event_codec import utf8_len
from jobstream.store.schema import ERROR_MAX_BYTES


class JobError(JobstreamError):
    """Raised by a job to fail at once (no retry) with a message written for the client.

    The message is stored on the job item, so it is held to ERROR_MAX_BYTES here, where the job
    raises it: a longer one raises ValueError at once (a failed step) rather than a refused write.
    """

    def __init__(self, message: str) -> None:
        if not isinstance(message, str):
            raise TypeError(f"a JobError message must be a str, got {type(message).__name__}")
        size = utf8_len(message)
        if size > ERROR_MAX_BYTES:
            raise ValueError(
                f"a JobError message is {size} bytes encoded; the limit is {ERROR_MAX_BYTES} bytes"
            )
        super().__init__(message)
        self.message = message


class StepContractError(JobstreamError, RuntimeError):
    """A job function broke the step rules (e.g. returned without ctx.advance or ctx.complete).

    A bug in the job, not in the data: the message names the rule for the developer's log, and the
    client gets the generic step-failure message like for any other exception.
    """


class RegistryNotFound(ConfigurationError, LookupError):
    """Settings.job_registry (JOBSTREAM_JOB_REGISTRY, the template's JobRegistry) names a module
    or attribute that does not exist. One line that says what to fix: a traceback ending in
    ModuleNotFoundError does not say where the module was expected to be."""

    def __init__(self, spec: str, reason: str) -> None:
        super().__init__(f"job registry {spec!r} (JOBSTREAM_JOB_REGISTRY): {reason}")
        self.spec = spec
