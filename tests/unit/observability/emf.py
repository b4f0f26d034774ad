"""Reading back the EMF lines Powertools prints (CloudWatch's embedded metric format)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from jobstream.observability import MetricsSink


def new_sink(namespace: str = "jobstream-test") -> MetricsSink:
    return MetricsSink(AmazonCloudWatchEMFProvider(namespace=namespace, service="jobstream"))


def emf_documents(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def values(documents: list[dict[str, Any]], name: str) -> list[float]:
    """Every value recorded for metric ``name`` across the documents, in order."""
    found: list[float] = []
    for document in documents:
        declared = {
            metric["Name"]
            for directive in document["_aws"]["CloudWatchMetrics"]
            for metric in directive["Metrics"]
        }
        if name in declared:
            value = document[name]
            found.extend(value if isinstance(value, list) else [value])
    return found


def namespaces(documents: list[dict[str, Any]]) -> set[str]:
    return {
        directive["Namespace"]
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
    }
