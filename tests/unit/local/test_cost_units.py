"""jobstream_local.cost: DynamoDB's item size and capacity unit rules, as the cost model counts them
(the meter on a table: tests/functional/deploy/test_cost_meter.py; a job measured end to end:
tests/integration/deploy/test_cost.py)."""

from __future__ import annotations

from jobstream_local.cost import item_size, read_units, write_units


def test_item_sizes_follow_dynamodbs_rules() -> None:
    assert item_size({"pk": {"S": "JOB#1"}}) == 2 + 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: 3 bytes + 1
    assert item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert (write_units(1), write_units(1024), write_units(1025)) == (1, 1, 2)
    assert (read_units(0), read_units(4096), read_units(4097)) == (1, 1, 2)
