"""Helpers of the loader and dataset checks (imported as `from ._epochs import ...`): an epoch is the row
numbers a pass over a loader or dataset gave, in order, with its batch sizes and dtypes."""
from __future__ import annotations

from autograder.checking import field_of


def orders(epochs: list[dict]) -> list[list[int]]:
    """The row numbers of each epoch, in the order they came."""
    return [field_of(epoch, "rows") for epoch in epochs]


def epoch_fault(epoch: dict, rows: int, batch: int) -> str | None:
    """What is wrong with one pass over `rows` numbered rows in batches of `batch`, or None."""
    if field_of(epoch, "dtypes") != ["float32/float32"]:
        return f"its batches hold {', '.join(epoch['dtypes']) or 'nothing'} (x/y), expected float32/float32"
    order, sizes = epoch["rows"], epoch["sizes"]
    expected_sizes = [batch] * (rows // batch) + ([rows % batch] if rows % batch else [])
    if sorted(order) != list(range(rows)):
        lost = sorted(set(range(rows)) - set(order))
        twice = sorted({row for row in order if order.count(row) > 1})
        if lost and not twice and sizes == expected_sizes[:-1]:
            return (f"an epoch gave {len(order)} of the {rows} rows, in batches of {sizes}: the last, smaller "
                    f"batch of {rows % batch} was dropped")
        return (f"an epoch gave {len(order)} rows for {rows}" + (f", without rows {lost[:5]}" if lost else "")
                + (f", with rows {twice[:5]} more than once" if twice else ""))
    if sizes != expected_sizes:
        return f"an epoch came in batches of {sizes}, expected {expected_sizes} (batch_size={batch})"
    if not epoch.get("paired"):
        return "some y is not the target of its own x: keep the rows of X and Y together"
    return None


def reshuffle_fault(orders_: list[list[int]], call: str) -> str | None:
    """Whether epochs that should each have an order of their own do not."""
    if orders_[0] == list(range(len(orders_[0]))):
        return f"{call} gives the rows in order: it does not shuffle"
    if len({tuple(order) for order in orders_}) < len(orders_):
        return f"{call} gives the same order in {len(orders_)} epochs: {orders_[0][:8]}…"
    return None
