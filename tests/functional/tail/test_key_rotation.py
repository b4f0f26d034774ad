"""Rotating the token key (the rotation function, called directly as Secrets Manager would, against
moto's Secrets Manager) while viewers watch: every step does its part, a token of the old key keeps
opening streams (AWSPREVIOUS), a container whose key cache predates the rotation accepts tokens of
the new key at once, and a stream open across the rotation, then its window's reconnect, loses no
event."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from jobstream.auth.keys import SecretKeyRing, token_signer
from jobstream.auth.rotation import RotationRefused
from jobstream.auth.tokens import TokenInvalid, key_id
from jobstream.settings import Settings
from jobstream.store import JobStore
from jobstream.tail.service import StreamService
from jobstream_client.sse import SSEParser
from tests.clock import FakeClock
from tests.conftest import load_handler_module
from tests.functional.tail.conftest import LogWriter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

FIRST_KEY = "f" * 64
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture
def secret(ddb: DynamoDBClient) -> str:
    """A token key secret in moto's Secrets Manager (inside the ddb fixture's mock)."""
    name = f"token-key-{uuid.uuid4().hex[:8]}"
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=name, SecretString=FIRST_KEY
    )
    return name


@pytest.fixture
def rotation() -> ModuleType:
    return load_handler_module("rotate_token_key")


def _stage(secret: str, stage: str) -> dict[str, Any]:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    return dict(client.get_secret_value(SecretId=secret, VersionStage=stage))


def _rotate(rotation: ModuleType, secret: str, *, steps: tuple[str, ...] = STEPS) -> str:
    version = uuid.uuid4().hex
    for step in steps:
        event = {"SecretId": secret, "ClientRequestToken": version, "Step": step}
        rotation.handler(event, _Context())
    return version


class _Context:
    function_name = "rotate-token-key"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate-token-key"
    memory_limit_in_mb = 128
    aws_request_id = "rotation-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def test_each_step_of_a_rotation_does_its_part(rotation: ModuleType, secret: str) -> None:
    version = uuid.uuid4().hex

    def step(name: str) -> None:
        rotation.handler(
            {"SecretId": secret, "ClientRequestToken": version, "Step": name}, _Context()
        )

    step("createSecret")
    pending = _stage(secret, "AWSPENDING")
    assert pending["VersionId"] == version
    assert len(pending["SecretString"]) >= 32
    assert pending["SecretString"] != FIRST_KEY
    step("createSecret")  # a retried step changes nothing
    assert _stage(secret, "AWSPENDING")["SecretString"] == pending["SecretString"]
    assert _stage(secret, "AWSCURRENT")["SecretString"] == FIRST_KEY
    step("setSecret")
    step("testSecret")
    assert _stage(secret, "AWSCURRENT")["SecretString"] == FIRST_KEY
    step("finishSecret")
    step("finishSecret")  # retried: already current, nothing to do
    assert _stage(secret, "AWSCURRENT")["VersionId"] == version
    assert _stage(secret, "AWSCURRENT")["SecretString"] == pending["SecretString"]
    assert _stage(secret, "AWSPREVIOUS")["SecretString"] == FIRST_KEY


def test_a_pending_key_too_short_to_sign_fails_the_test_step(
    rotation: ModuleType, secret: str
) -> None:
    version = uuid.uuid4().hex
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=secret,
        ClientRequestToken=version,
        SecretString="short",
        VersionStages=["AWSPENDING"],
    )

    with pytest.raises(RotationRefused, match="not usable"):
        rotation.handler(
            {"SecretId": secret, "ClientRequestToken": version, "Step": "testSecret"}, _Context()
        )
    assert _stage(secret, "AWSCURRENT")["SecretString"] == FIRST_KEY


def test_a_step_for_a_version_not_being_rotated_is_refused(
    rotation: ModuleType, secret: str
) -> None:
    with pytest.raises(RotationRefused, match="not being rotated"):
        rotation.handler(
            {"SecretId": secret, "ClientRequestToken": "nope", "Step": "finishSecret"}, _Context()
        )


def _ring(secret: str, clock: FakeClock) -> SecretKeyRing:
    return SecretKeyRing(
        secret, lambda: boto3.client("secretsmanager", region_name="us-east-1"), clock=clock
    )


def test_containers_agree_across_a_rotation(rotation: ModuleType, secret: str) -> None:
    clock = FakeClock(1_000.0)
    stale = _ring(secret, clock)  # a stream container: its cache predates the rotation
    by_old_key = stale.signer().issue("job-a", ttl_seconds=600)

    _rotate(rotation, secret)
    fresh = _ring(secret, clock)  # an API container started after it
    by_new_key = fresh.signer().issue("job-a", ttl_seconds=600)

    assert by_new_key.split(".")[1] != by_old_key.split(".")[1]
    assert by_new_key.split(".")[1] == key_id(_stage(secret, "AWSCURRENT")["SecretString"].encode())
    # The stale container fetches the keys again for the key id it does not know.
    stale.signer().verify(by_new_key, "job-a")
    # The fresh one holds the previous key: a token issued before the rotation still opens.
    fresh.signer().verify(by_old_key, "job-a")
    # Two rotations later the first key is gone.
    _rotate(rotation, secret)
    clock.now += 3_600
    with pytest.raises(TokenInvalid):
        _ring(secret, clock).signer().verify(by_old_key, "job-a", scope="view")


def test_made_up_key_ids_cost_one_fetch_per_interval(secret: str) -> None:
    clock = FakeClock(1_000.0)
    fetches: list[str] = []
    client = boto3.client("secretsmanager", region_name="us-east-1")

    class Counting:
        def get_secret_value(self, **request: str) -> dict[str, object]:
            fetches.append(request["VersionStage"])
            return dict(client.get_secret_value(**request))  # type: ignore[arg-type]

    ring = SecretKeyRing(secret, Counting, clock=clock)
    signer = ring.signer()
    token = signer.issue("job-a", ttl_seconds=600)
    forged = token.replace(token.split(".")[1], "AAAAAAAA")
    before = len(fetches)
    for _ in range(50):
        with pytest.raises(TokenInvalid):
            ring.signer().verify(forged, "job-a")

    assert len(fetches) - before == 2  # one fetch: AWSCURRENT and AWSPREVIOUS
    clock.now += 6
    with pytest.raises(TokenInvalid):
        ring.signer().verify(forged, "job-a")
    assert len(fetches) - before == 4


def _events(chunks: Iterator[bytes] | list[bytes]) -> list[int]:
    parser = SSEParser()
    ids = [int(event.id) for chunk in chunks for event in parser.feed(chunk) if event.id]
    return ids + [int(event.id) for event in parser.end() if event.id]


def test_a_rotation_mid_stream_loses_no_viewer(
    rotation: ModuleType,
    secret: str,
    settings: Settings,
    store: JobStore,
    new_job: Callable[..., str],
    clock: FakeClock,
) -> None:
    """Each request verifies with token_signer, as the stream function does (composition.py)."""
    settings = settings.with_changes({"token_key_secret": secret})
    job_id = new_job()
    writer = LogWriter(store, job_id)
    writer.progress(3)

    def open_stream(token: str, last_event_id: str | None = None) -> Any:
        service = StreamService(
            store=store, signer=token_signer(settings), settings=settings, clock=clock
        )
        return service.open(
            job_id, token=token, last_event_id=last_event_id, remaining_ms=lambda: 900_000
        )

    viewer_token = token_signer(settings).issue(job_id, ttl_seconds=600)
    first = open_stream(viewer_token)
    assert first.status_code == 200
    body = iter(first.body)
    read: list[bytes] = []
    while not _events(read):  # the stream is open and has sent an event
        read.append(next(body))
    seen_before = _events(read)

    assert seen_before == [1, 2, 3]

    _rotate(rotation, secret)
    writer.progress(3)
    writer.finish()
    seen_after = _events(list(body))  # the open stream goes on, to the job's end
    assert seen_before + seen_after == [1, 2, 3, 4, 5, 6, 7]

    # The window's reconnect with the token issued before the rotation (now the previous key).
    again = open_stream(viewer_token, last_event_id="3")
    assert again.status_code == 200
    assert _events(list(again.body)) == [4, 5, 6, 7]
    # A token of the new key, minted by a container that started after the rotation, opens the
    # stream in this (stale) one.
    new_key = _stage(secret, "AWSCURRENT")["SecretString"].encode()
    fresh_container = SecretKeyRing(
        secret, lambda: boto3.client("secretsmanager", region_name="us-east-1")
    )
    by_new_key = fresh_container.signer().issue(job_id, ttl_seconds=600)
    assert by_new_key.split(".")[1] == key_id(new_key)
    assert _events(list(open_stream(by_new_key, last_event_id="5").body)) == [6, 7]
