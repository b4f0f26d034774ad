"""Where the browser for the browser tests lives, and how it is started.

Test modules call ``skip_without_chromium()`` at import time, so a machine without Debian's
Chromium skips them with a reason instead of failing (CI installs the package, so they run there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_without_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); "
            "Playwright is never allowed to download a browser",
            allow_module_level=True,
        )
