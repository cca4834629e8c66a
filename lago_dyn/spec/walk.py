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


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def has_non_string_keys(document: Any) -> bool:
    return any(not isinstance(key, str) for node in mappings(document) for key in node)


def string_keys(document: Any) -> None:
    """Give every key that is not a string the string JSON would have, in place and in order: YAML reads
    an unquoted `200:` as the integer 200, while an OpenAPI document is JSON data (its keys are strings,
    and a pointer such as `#/paths/~1x/get/responses/200` names the string)."""
    for node in mappings(document):
        if any(not isinstance(key, str) for key in node):
            items = list(node.items())
            node.clear()
            node.update((_json_key(key), value) for key, value in items)
