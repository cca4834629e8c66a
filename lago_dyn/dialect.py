"""`nullable: true`, OpenAPI 3.0's way of allowing null, rewritten as JSON Schema's.

OpenAPI 3.1 schemas are plain JSON Schema 2020-12, where `nullable` means nothing, yet real 3.1 specs
still carry it (Lago 1.21.0 has 209 of them): taken literally, every null Lago returns for an optional
field would be a schema violation. The intent is unambiguous, so lago_dyn honours it: `type: X` becomes
`type: [X, "null"]` (and `null` joins an `enum`), a `$ref` or composition becomes `anyOf: [it, null]`.

The same rewrite gives the fast validator, which knows JSON Schema but not OpenAPI 3.0, the 3.0 meaning.
"""

from __future__ import annotations

import copy
from typing import Any

from . import walk

_COMPOSITION = ("$ref", "allOf", "oneOf", "anyOf", "not")


def has_nullable(document: Any) -> bool:
    return any(node.get("nullable") is True for node in walk.mappings(document))


def without_nullable(document: Any, *, copy_first: bool = False) -> Any:
    """The document with every `nullable: true` rewritten (in place unless `copy_first`)."""
    if copy_first:
        document = copy.deepcopy(document)
    for node in walk.mappings(document):
        if node.get("nullable") is True:
            _rewrite(node)
    return document


def _rewrite(schema: dict[str, Any]) -> None:
    del schema["nullable"]
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = schema["enum"] + [None]
    declared = schema.get("type")
    if declared is not None:
        types = list(declared) if isinstance(declared, list) else [declared]
        if "null" not in types:
            schema["type"] = types + ["null"]
        return
    moved = {key: schema.pop(key) for key in _COMPOSITION if key in schema}
    if moved:
        schema["anyOf"] = [moved, {"type": "null"}]
