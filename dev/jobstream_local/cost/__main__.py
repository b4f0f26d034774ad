"""``python -m jobstream_local.cost [--events 1000] [--interval-ms 100 --interval-ms 10]``."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import uuid
from pathlib import Path

from jobstream.settings import Settings
from jobstream_local.cost.prices import PriceList
from jobstream_local.cost.report import Deployment, render
from jobstream_local.cost.scenario import measure_job
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_local.repo import RepoNotFound, find_repo_root
from jobstream_local.template_table import load_template


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m jobstream_local.cost", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000, help="events per job")
    parser.add_argument(
        "--interval-ms",
        type=int,
        action="append",
        help="pause per step, one measured job per value (default: 100 and 10)",
    )
    parser.add_argument(
        "--template",
        type=Path,
        help="the SAM template whose table and parameters are modelled (default: template.yaml "
        "of the repository)",
    )
    parser.add_argument(
        "--repo",
        type=Path,
        help="the jobstream repository (JOBSTREAM_REPO; default: the folder at or above the "
        "current one that holds template.yaml)",
    )
    args = parser.parse_args()
    intervals = args.interval_ms or [100, 10]
    try:
        template: Path = args.template or find_repo_root(args.repo) / "template.yaml"
    except RepoNotFound as missing:
        parser.error(str(missing))
    parameters = load_template(template)["Parameters"]
    # Local only: never a developer's real credentials against the embedded server.
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "x"}
    )
    table = f"jobstream-cost-{uuid.uuid4().hex[:8]}"
    measurements = []
    with EmbeddedDynamoDB(table=table, template_path=template) as database:
        settings = Settings(
            api_auth="none",
            table=table,
            dynamodb_endpoint_url=database.endpoint_url,
            token_key=secrets.token_urlsafe(48),
        )
        for interval in intervals:
            sys.stderr.write(f"measuring {args.events} events, 1 per {interval} ms ...\n")
            measurements.append(
                measure_job(
                    settings,
                    events=args.events,
                    interval_ms=interval,
                    worker_timeout_s=float(parameters["WorkerTimeout"]["Default"]),
                    stream_timeout_s=float(parameters["StreamTimeout"]["Default"]),
                )
            )
    sys.stdout.write(render(measurements, Deployment.from_template(template), PriceList()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
