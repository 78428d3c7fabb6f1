"""Bulk imports into the catalog.

Parsing and cleaning are pure functions over the source files (``flipkart``),
values the source lacks are generated deterministically (``generated``), and
``loader`` writes the result in batched transactions, publishing catalog events
for what changed so that re-running an import is safe and silent.
"""
