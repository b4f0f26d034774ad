"""Create the DynamoDB table from its one definition in template.yaml.

Tests and the local stack both call this, so the table they use cannot drift from what `sam deploy`
creates.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from jobstream_local.repo import find_repo_root

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_LOGICAL_ID = "JobsTable"


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that accepts CloudFormation short-form tags (!Ref, !Sub, ...) as plain values."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {tag_suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {tag_suffix: loader.construct_sequence(node, deep=True)}
    if isinstance(node, yaml.MappingNode):
        return {tag_suffix: loader.construct_mapping(node, deep=True)}
    raise TypeError(f"unexpected YAML node {node!r}")


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        loaded = yaml.load(f, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return loaded


def table_properties(template_path: Path) -> dict[str, Any]:
    template = load_template(template_path)
    resource = template["Resources"][TABLE_LOGICAL_ID]
    props: dict[str, Any] = resource["Properties"]
    return props


def create_table_from_template(
    client: DynamoDBClient, table_name: str, template_path: Path
) -> None:
    """Create ``table_name`` with the key schema, indexes, billing mode and TTL of the template's
    table."""
    props = table_properties(template_path)
    indexes = props.get("GlobalSecondaryIndexes")
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        BillingMode=props["BillingMode"],
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def default_template_path() -> Path:
    """template.yaml of the repository ``find_repo_root`` finds (``$JOBSTREAM_REPO`` or above
    the current directory); raises RepoNotFound, saying where it looked, if there is none."""
    return find_repo_root() / "template.yaml"
