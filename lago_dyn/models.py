"""What a call returns: JSON objects readable as attributes and as mappings.

`ApiObject` is a `dict` (so `json.dumps`, `==`, `dict(...)` and passing it back as a request body just
work) whose fields are also attributes: `customer.external_id`. Fields win over dict methods, because
Lago has fields named `items` and `values`; `dict.items(obj)` or `obj.to_dict()` reach the methods.
Objects are made while the JSON is parsed (`json.loads(object_hook=ApiObject)`), not on each access.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping


class ApiObject(dict):
    """A JSON object from the API: `obj.field` and `obj["field"]` both work."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name[:1] != "_":
            try:
                return dict.__getitem__(self, name)
            except KeyError:
                pass
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"this object has no field {name!r}; its fields: {', '.join(self) or 'none'}")

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __dir__(self) -> list[str]:
        return sorted({*(key for key in self if key.isidentifier()), "to_dict", "to_json"})

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts and lists all the way down."""
        return json.loads(json.dumps(self))

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self, **kwargs)

    def __repr__(self) -> str:
        return f"ApiObject({dict.__repr__(self)})"


def parse_json(content: bytes | str) -> Any:
    """JSON text to Python, with every object an ApiObject."""
    return json.loads(content, object_hook=ApiObject)


@dataclass(frozen=True)
class ApiResponse:
    """Everything about an answer, for `operation.with_http_info(...)`: the generated client's shape."""

    status_code: int
    headers: Mapping[str, str]
    data: Any
    raw_data: bytes
