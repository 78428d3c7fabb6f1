"""Which warehouse ships what: the allocation policy, as pure functions.

Policy (docs/inventory.md): ship from as few warehouses as possible, and never
split a line across warehouses unless no single warehouse can ship all of it.

1. While some unused warehouse can ship at least one remaining line in full,
   take the one that ships the most remaining lines in full (ties: more units
   of those lines, then the warehouse order: preferred zone, priority, id) and
   give it those lines. A warehouse that can ship everything is therefore
   always chosen alone.
2. Lines no single warehouse can ship in full are split, taking first from
   warehouses already chosen, then from those with the most available, in
   warehouse order.

This is the greedy approximation of set cover: not always the minimum, but
close, deterministic and linear in warehouses times lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

StockKey = tuple[int, int]  # (sku_id, warehouse_id)


def shortages(requested: Mapping[int, int], available: Mapping[StockKey, int]) -> dict[int, int]:
    """SKUs whose total availability is below the request, with that total."""
    totals: dict[int, int] = dict.fromkeys(requested, 0)
    for (sku_id, _warehouse_id), units in available.items():
        if sku_id in totals and units > 0:
            totals[sku_id] += units
    return {sku_id: totals[sku_id] for sku_id, quantity in requested.items() if totals[sku_id] < quantity}


def allocate(
    requested: Mapping[int, int], available: Mapping[StockKey, int], warehouse_order: Sequence[int]
) -> list[tuple[int, int, int]]:
    """``(sku_id, warehouse_id, quantity)`` rows, sorted, covering ``requested``.

    The caller has checked ``shortages`` is empty; ``warehouse_order`` lists the
    usable warehouses, most preferred first.
    """
    rank = {warehouse_id: position for position, warehouse_id in enumerate(warehouse_order)}
    left = {key: units for key, units in available.items() if units > 0 and key[1] in rank}
    remaining = dict(requested)
    plan: dict[StockKey, int] = {}
    chosen: list[int] = []

    def full_lines(warehouse_id: int) -> list[int]:
        return [sku_id for sku_id, need in remaining.items() if left.get((sku_id, warehouse_id), 0) >= need]

    while remaining:
        candidates = [(full_lines(w), w) for w in warehouse_order if w not in chosen]
        candidates = [(lines, w) for lines, w in candidates if lines]
        if not candidates:
            break
        lines, warehouse_id = max(
            candidates, key=lambda item: (len(item[0]), sum(remaining[s] for s in item[0]), -rank[item[1]])
        )
        chosen.append(warehouse_id)
        for sku_id in lines:
            _take(plan, left, (sku_id, warehouse_id), remaining.pop(sku_id))

    for sku_id in sorted(remaining):
        need = remaining[sku_id]
        sources = sorted(
            (w for w in warehouse_order if left.get((sku_id, w), 0) > 0),
            key=lambda w: (w not in chosen, -left[(sku_id, w)], rank[w]),
        )
        for warehouse_id in sources:
            take = min(need, left[(sku_id, warehouse_id)])
            _take(plan, left, (sku_id, warehouse_id), take)
            if warehouse_id not in chosen:
                chosen.append(warehouse_id)
            need -= take
            if need == 0:
                break
        if need:
            raise ValueError(f"sku {sku_id} is short by {need}; check shortages() before allocate()")
    return sorted((sku_id, warehouse_id, quantity) for (sku_id, warehouse_id), quantity in plan.items())


def _take(plan: dict[StockKey, int], left: dict[StockKey, int], key: StockKey, quantity: int) -> None:
    plan[key] = plan.get(key, 0) + quantity
    left[key] -= quantity
