"""Where the ``jobstream`` command keeps the tokens of the jobs it started, so that ``attach`` and
``cancel`` find them later by job id alone (after a Ctrl-C, in another terminal).

One file per job, ``<job id>.token``, mode 0600 in a folder of mode 0700: a token opens its job
to whoever holds it, like a password. The folder is ``$JOBSTREAM_TOKEN_DIR``, else
``$XDG_STATE_HOME/jobstream/tokens``, else ``~/.local/state/jobstream/tokens`` (the XDG base
directory rule for state that outlives a run but is not worth backing up).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["TokenStore"]

# Job ids the API makes are hex; anything else is not used as a file name.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class TokenStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> TokenStore:
        env = os.environ if environ is None else environ
        explicit = env.get("JOBSTREAM_TOKEN_DIR")
        if explicit:
            return cls(Path(explicit).expanduser())
        state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return cls(Path(state).expanduser() / "jobstream" / "tokens")

    def path(self, job_id: str) -> Path | None:
        """The job's file, or None for an id that cannot be a file name."""
        return self.folder / f"{job_id}.token" if _SAFE_ID.fullmatch(job_id) else None

    def save(self, job_id: str, token: str) -> Path | None:
        """Keep the token (replacing an older one); None if it could not be kept."""
        path = self.path(job_id)
        if path is None:
            return None
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(token + "\n")
        except OSError:
            return None
        return path

    def load(self, job_id: str) -> str | None:
        path = self.path(job_id)
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None
