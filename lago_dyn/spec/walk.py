"""Walking a parsed JSON document: every mapping in it, iteratively (no recursion limit on deep specs)."""

from __future__ import annotations

from typing import Any, Iterator


def mappings(document: Any) -> Iterator[dict[str, Any]]:
    """Every dict in `document`, parents before children. A caller may change a dict it was given
    before asking for the next one: its values are read only then."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(value for value in node.values() if isinstance(value, (dict, list)))
        elif isinstance(node, list):
            stack.extend(value for value in node if isinstance(value, (dict, list)))
