"""Folds the per-agent rows of agents the caller may not see into RESTRICTED_AGENTS rows.

Rows are the query's dicts, before pricing, so money is still in ticks and a merged row is
rounded once like any other. A merged row takes the place of the first row it absorbs, so
the route's order holds for every visible row, and every total is unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from app.wire import RESTRICTED_AGENTS

Row = dict[str, Any]


def fold_agents(
    rows: Iterable[Row], hidden: frozenset[uuid.UUID], key: Sequence[str], sums: Sequence[str]
) -> list[Row]:
    """rows with agent_id as text; rows of hidden agents merged per `key`, `sums` added up."""
    out: list[Row] = []
    merged: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        if row["agent_id"] not in hidden:
            out.append({**row, "agent_id": str(row["agent_id"])})
            continue
        group = tuple(row[name] for name in key)
        target = merged.get(group)
        if target is None:
            merged[group] = target = {**row, "agent_id": RESTRICTED_AGENTS}
            out.append(target)
        else:
            for name in sums:
                target[name] += row[name]
    return out
