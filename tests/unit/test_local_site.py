"""The local stack's one origin serves the demo page and client modules from web/, not the npm
package's installed dependencies (web/node_modules exists once `make test` has run npm ci)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from starlette.applications import Starlette

from jobstream_local.site import one_origin_app


def _web_root(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>demo</title>")
    (tmp_path / "jobstream-client.js").write_text("export {};")
    package = tmp_path / "node_modules" / "react"
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"name": "react"}')
    return tmp_path


async def _get(app: object, *paths: str) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
        return [await client.get(path) for path in paths]


def test_node_modules_are_a_json_404_and_the_page_and_modules_are_served(tmp_path: Path) -> None:
    app = one_origin_app(
        api=Starlette(), stream=Starlette(), web_root=_web_root(tmp_path), allowed_origins=[]
    )
    refused, page, module = asyncio.run(
        _get(app, "/node_modules/react/package.json", "/", "/jobstream-client.js")
    )
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert page.status_code == 200
    assert module.status_code == 200
