"""Python names for things the spec names: operations, tags and parameters.

Operation names follow openapi-generator's Python client, so that code written against the generated
`lago_api` package keeps working: `createCustomer` -> `create_customer`,
`generateCustomerCheckoutURL` -> `generate_customer_checkout_url`.
"""

from __future__ import annotations

import functools
import keyword
import re

_ACRONYM_THEN_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_LOWER_THEN_UPPER = re.compile(r"([a-z\d])([A-Z])")
_NOT_IDENTIFIER = re.compile(r"[^0-9a-zA-Z_]+")
_UNDERSCORES = re.compile(r"__+")


def snake_case(name: str) -> str:
    """`findAllCustomerPastUsage` -> `find_all_customer_past_usage`; `URLs` stay one word."""
    words = _ACRONYM_THEN_WORD.sub(r"\1_\2", name)
    words = _LOWER_THEN_UPPER.sub(r"\1_\2", words)
    words = _NOT_IDENTIFIER.sub("_", words)
    return _UNDERSCORES.sub("_", words).lower()


@functools.lru_cache(maxsize=8192)  # the same tags and parameter names recur across a spec's operations
def python_identifier(name: str, *, fallback: str = "value") -> str:
    """A safe public attribute or argument name: snake_cased, no leading underscore (so `__init__` or
    `__class__` in a spec can never reach Python's machinery), not a keyword, not starting with a digit."""
    ident = snake_case(name).strip("_") or fallback
    if ident[0].isdigit():
        ident = f"{fallback}_{ident}"
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident) or ident in ("self", "cls"):
        ident += "_"
    return ident


def operation_name(operation_id: str | None, method: str, path: str) -> str:
    """The method name for an operation; derived from method and path when it has no operationId
    (`GET /customers/{external_id}` -> `get_customers_by_external_id`)."""
    if operation_id:
        return python_identifier(operation_id, fallback="operation")
    parts = [method.lower()]
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(f"by_{segment[1:-1]}")
        elif segment:
            parts.append(segment)
    return python_identifier("_".join(parts), fallback="operation")


def parameter_name(name: str) -> str:
    """`external_customer_ids[]` -> `external_customer_ids`; `X-Request-Id` -> `x_request_id`."""
    return python_identifier(name.replace("[]", ""), fallback="param")

