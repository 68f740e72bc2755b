"""Folds the per-agent rows of agents the caller may not see into RESTRICTED_AGENTS rows.

Rows are the query's tuples (agent_id first), before pricing, so money is still in ticks and a
merged row is rounded once like any other. A merged row takes the place of the first row it
absorbs, so the route's order holds for every visible row, and every total is unchanged.
Columns are addressed by position: the wrappers build the wire structs from the rows by
position too, which skips a dict per row on the largest answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from app.wire import RESTRICTED_AGENTS

Row = list[Any]


def fold_agents(
    rows: Iterable[Sequence[Any]], hidden: frozenset[uuid.UUID], key: Sequence[int], sums: Sequence[int]
) -> list[Row]:
    """rows as lists with agent_id as text; rows of hidden agents merged per the `key` columns,
    the `sums` columns added up."""
    out: list[Row] = []
    merged: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        values = list(row)
        if values[0] not in hidden:
            values[0] = str(values[0])
            out.append(values)
            continue
        group = tuple(values[index] for index in key)
        target = merged.get(group)
        if target is None:
            values[0] = RESTRICTED_AGENTS
            merged[group] = values
            out.append(values)
        else:
            for index in sums:
                target[index] += values[index]
    return out
