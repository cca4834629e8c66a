"""Names as openapi-generator's Python client gives them, so code written against a generated `lago_api`
finds the same classes here: `<Tag>Api` per tag, a model per component schema, and a model per inline
object schema, named by where it sits (its InlineModelResolver's rules):

- a property's inline object: parent name + property name (`CustomerCreateInput` + `customer` ->
  `CustomerCreateInputCustomer`); an array's inline items add `_inner`, a map's values `_value`;
- an operation's inline request body: `<operationId>_request`; an inline answer:
  `<operationId>_<status>_response` (`GenerateCustomerCheckoutURL200Response`);
- a schema's `title`, when it has one, instead of the position; a name taken twice gets `_1`, `_2`...

Module file names are the model names in snake case (`generate_customer_checkout_url200_response`).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..spec.naming import snake_case
from ..spec.model import Spec, child_uri, pointer_uri
from ..spec.schema import SchemaView, view

_WORD_BREAKS = re.compile(r"[^0-9A-Za-z]+")


def camelize(name: str) -> str:
    """`generateCustomerCheckoutURL_200_response` -> `GenerateCustomerCheckoutURL200Response`: each part's
    first letter upper-cased, the rest kept."""
    return "".join(part[:1].upper() + part[1:] for part in _WORD_BREAKS.split(name) if part)


def api_class_name(tag: str) -> str:
    """`customers` -> `CustomersApi`; `credit_notes` -> `CreditNotesApi`."""
    return camelize(snake_case(tag)) + "Api"


def module_name(model_name: str) -> str:
    """`CustomerCreateInput` -> `customer_create_input`, the generated client's file name."""
    return snake_case(model_name)


class ModelNames:
    """Every model of one spec: generated name -> schema URI, and the way back."""

    def __init__(self, spec: Spec):
        self._spec = spec
        self.uris: dict[str, str] = {}
        self.names: dict[str, str] = {}
        schemas = (spec.root.get("components") or {}).get("schemas") or {}
        for key in schemas:
            uri = pointer_uri(spec.base_uri, "components", "schemas", key)
            self._add(camelize(key), uri, unique=False)
        for key, node in schemas.items():
            self._gather(node, pointer_uri(spec.base_uri, "components", "schemas", key), key)
        for operation in spec.operations.values():
            self._gather_operation(operation)

    def name_of(self, uri: str, depth: int = 0) -> str | None:
        """The model name of the schema at `uri`, looking through `$ref`s and nullable wrappers
        (`allOf: [$ref]`, `anyOf: [$ref, {type: null}]`)."""
        found = view(self._spec, uri)
        name = self.names.get(found.resolved)
        if name is not None or depth > 10:
            return name
        wrapped = nullable_branch(self._spec, found)
        return self.name_of(wrapped, depth + 1) if wrapped else None

    def _add(self, name: str, uri: str, unique: bool = True) -> None:
        if unique and name in self.uris:
            name = next(f"{name}{count}" for count in range(1, 10_000) if f"{name}{count}" not in self.uris)
        self.uris[name] = uri
        self.names.setdefault(uri, name)

    def _gather_operation(self, operation: Any) -> None:
        base = operation.operation_id or operation.name
        body = operation.body
        if body is not None and body.schema_uri is not None:
            self._inline(body.schema_uri, f"{base}_request")
        for status, response in operation.responses.items():
            for media_type, schema_uri in response.content.items():
                if schema_uri is not None and "json" in media_type:
                    self._inline(schema_uri, f"{base}_{status}_response")

    def _inline(self, uri: str, position: str) -> None:
        node = self._spec.node_at(uri)
        if not isinstance(node, dict) or "$ref" in node:
            return
        name = node.get("title") if isinstance(node.get("title"), str) else position
        self._gather(node, uri, name)
        if model_needed(self._spec, view(self._spec, uri)):
            self._add(camelize(name), uri)

    def _gather(self, node: Any, uri: str, prefix: str, depth: int = 0) -> None:
        if not isinstance(node, dict) or "$ref" in node or depth > 30:
            return
        for sub_uri, suffix in _children(node, uri):
            child = self._spec.node_at(sub_uri)
            if not isinstance(child, dict) or "$ref" in child:
                continue
            name = child.get("title") if isinstance(child.get("title"), str) else f"{prefix}{suffix}"
            self._gather(child, sub_uri, name, depth + 1)
            if model_needed(self._spec, view(self._spec, sub_uri)):
                self._add(camelize(name), sub_uri)
        for keyword in ("allOf", "anyOf", "oneOf"):  # inline parts lend their fields to this model
            for index, part in enumerate(node.get(keyword) or ()):
                if isinstance(part, dict) and "$ref" not in part:
                    self._gather(part, child_uri(uri, keyword, str(index)), prefix, depth + 1)


def _children(node: dict[str, Any], uri: str) -> Iterator[tuple[str, str]]:
    """(URI, name suffix) of the schemas written inline in an object or array schema: the generator names
    a model by where it is written, so this reads the document's positions, not what the schema means."""
    for name in node.get("properties") or {}:
        yield child_uri(uri, "properties", name), f"_{name}"
    if isinstance(node.get("additionalProperties"), dict):
        yield child_uri(uri, "additionalProperties"), "_value"
    if isinstance(node.get("items"), dict):
        yield child_uri(uri, "items"), "_inner"


def nullable_branch(spec: Spec, found: SchemaView) -> str | None:
    """The URI of the one branch that does not admit only null, when the schema is only a wrapper that
    makes another nullable (`allOf: [$ref]`, `anyOf: [$ref, {type: null}]`); else None."""
    if found.node.get("properties"):
        return None
    for branches in (found.all_of, found.any_of, found.one_of):
        if branches:
            real = [branch for branch in branches if view(spec, branch).types != ("null",)]
            if len(real) == 1:
                return real[0]
    return None


def model_needed(spec: Spec, found: SchemaView) -> bool:
    """An object with fields, or a composition that is more than a nullable wrapper, gets a model; a
    plain value, an array or a free-form map does not (the generator's isModelNeeded)."""
    if found.node.get("properties") and (not found.node.get("type") or "object" in found.types):
        return True
    if nullable_branch(spec, found) is not None:
        return False
    return bool(found.all_of or found.any_of or found.one_of)
