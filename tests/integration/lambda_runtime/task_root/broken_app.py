"""A function whose module fails while it is imported (an init error for the runtime to report)."""

import does_not_exist_anywhere  # type: ignore[import-not-found]  # noqa: F401
