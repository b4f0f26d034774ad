"""The buffered JSON jobs API (FastAPI): served by Mangum on Lambda and by uvicorn locally."""

from jobstream.api.app import create_app

__all__ = ["create_app"]
