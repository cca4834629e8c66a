"""What changed between two releases of a spec, and which changes break existing calls.

Operations are matched by their Python name (from the operationId), the name user code calls. Breaking:
a removed operation; a new required parameter or body field; a removed or renamed parameter; an optional
parameter that became required; a changed type; an enum that lost values in a request; a response field
that was removed or changed type. OpenAPI 3.2: a `query` or `additionalOperations` method is compared like
any other (a removed QUERY operation is breaking, a method change too); a `querystring` parameter is
matched by its location alone (its name is never sent), and a change of its media type breaks callers;
a streamed answer (`itemSchema`) compares item by item, and an answer that starts or stops being a
stream is breaking.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from ..spec.model import Operation, Spec, child_uri
from ..spec.schema import view

MAX_DEPTH = 12


@dataclass(frozen=True)
class Change:
    location: str  # "query.page", "body.customer.currency", "response.customer.email", "path"
    detail: str
    breaking: bool


@dataclass
class OperationDiff:
    operation: str
    status: str  # added, removed, changed
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return self.status == "removed" or any(change.breaking for change in self.changes)


def diff(old: Spec, new: Spec) -> list[OperationDiff]:
    result = [OperationDiff(name, "added") for name in sorted(set(new.operations) - set(old.operations))]
    result += [OperationDiff(name, "removed") for name in sorted(set(old.operations) - set(new.operations))]
    for name in sorted(set(old.operations) & set(new.operations)):
        changes = _SchemaComparison(old, new).operation(old.operations[name], new.operations[name])
        if changes:
            result.append(OperationDiff(name, "changed", changes))
    return result


def as_json(diffs: list[OperationDiff]) -> dict[str, Any]:
    return {
        "summary": {status: sum(d.status == status for d in diffs) for status in ("added", "removed", "changed")}
        | {"breaking": sum(d.breaking for d in diffs)},
        "operations": [{"operation": d.operation, "status": d.status, "breaking": d.breaking,
                        "changes": [asdict(c) for c in d.changes]} for d in diffs],
    }


def as_table(diffs: list[OperationDiff]) -> str:
    lines = ["| operation | status | breaking | what |", "| --- | --- | --- | --- |"]
    for entry in diffs:
        if not entry.changes:
            lines.append(f"| {entry.operation} | {entry.status} | {'yes' if entry.breaking else 'no'} | |")
        for index, change in enumerate(entry.changes):
            first = index == 0
            lines.append(f"| {entry.operation if first else ''} | {entry.status if first else ''} | "
                         f"{'yes' if change.breaking else 'no'} | {change.location}: {change.detail} |")
    summary = as_json(diffs)["summary"]
    lines.append(f"\n{summary['added']} added, {summary['removed']} removed, {summary['changed']} changed, "
                 f"{summary['breaking']} with breaking changes")
    return "\n".join(lines)


def breaking_only(diffs: list[OperationDiff]) -> list[OperationDiff]:
    """The operations with breaking changes, each with only its breaking changes."""
    return [replace(d, changes=[c for c in d.changes if c.breaking]) for d in diffs if d.breaking]


def as_markdown(diffs: list[OperationDiff], tags: Mapping[str, str], title: str = "API changes") -> str:
    """A pull-request comment or release note: the summary, breaking changes first, then every other
    change grouped by tag (`tags` maps an operation to its tag)."""
    summary = as_json(diffs)["summary"]
    lines = [f"## {title}", "", f"{summary['added']} added, {summary['removed']} removed, {summary['changed']} "
             f"changed, {summary['breaking']} with breaking changes.", ""]
    breaking = breaking_only(diffs)
    if breaking:
        lines += ["### Breaking changes", ""]
        for entry in breaking:
            what = "; ".join(f"`{c.location}`: {c.detail}" for c in entry.changes) or "operation removed"
            lines.append(f"- **{entry.operation}** ({tags.get(entry.operation, 'untagged')}): {what}")
        lines.append("")
    by_tag: dict[str, list[str]] = {}
    for entry in diffs:
        calm = [c for c in entry.changes if not c.breaking]
        if entry.status == "added" or calm:
            what = "added" if entry.status == "added" else "; ".join(f"`{c.location}`: {c.detail}" for c in calm)
            by_tag.setdefault(tags.get(entry.operation, "untagged"), []).append(f"- **{entry.operation}**: {what}")
    for tag in sorted(by_tag):
        lines += [f"### {tag}", "", *by_tag[tag], ""]
    return "\n".join(lines).rstrip() + "\n"


class _SchemaComparison:
    def __init__(self, old: Spec, new: Spec):
        self.old, self.new = old, new
        self.seen: set[tuple[str, str, str]] = set()
        self.changes: list[Change] = []

    def operation(self, old: Operation, new: Operation) -> list[Change]:
        if (old.method, _shape(old.path)) != (new.method, _shape(new.path)):
            self.add("path", f"{old.method} {old.path} -> {new.method} {new.path}", True)
        elif old.path != new.path:
            self.add("path", f"path parameters renamed: {old.path} -> {new.path}", True)
        old_params = {_parameter_key(p): p for p in old.parameters}
        new_params = {_parameter_key(p): p for p in new.parameters}
        for key in sorted(set(old_params) - set(new_params)):
            self.add(key, "parameter removed", True)
        for key in sorted(set(new_params) - set(old_params)):
            parameter = new_params[key]
            self.add(key, f"new {'required' if parameter.required else 'optional'} parameter",
                     parameter.required)
        for key in sorted(set(old_params) & set(new_params)):
            before, after = old_params[key], new_params[key]
            if after.required and not before.required:
                self.add(key, "became required", True)
            if before.media_type != after.media_type:
                self.add(key, f"serialized as {before.media_type or 'its style'} -> "
                         f"{after.media_type or 'its style'}", True)
            if before.schema_uri and after.schema_uri:
                self.schemas(before.schema_uri, after.schema_uri, key, "request", 0)
        if old.body is None and new.body is not None:
            self.add("body", f"new {'required' if new.body.required else 'optional'} body", new.body.required)
        elif old.body is not None and new.body is None:
            self.add("body", "body removed", True)
        elif old.body and new.body and old.body.schema_uri and new.body.schema_uri:
            if new.body.required and not old.body.required:
                self.add("body", "became required", True)
            self.schemas(old.body.schema_uri, new.body.schema_uri, "body", "request", 0)
        old_ok = _success_schema(old)
        new_ok = _success_schema(new)
        if old_ok and new_ok:
            self.schemas(old_ok, new_ok, "response", "response", 0)
        old_items, new_items = _item_schema(old), _item_schema(new)
        if bool(old_items) != bool(new_items):
            self.add("response", "the answer became a stream of items" if new_items
                     else "the answer is no longer a stream of items", True)
        elif old_items and new_items:
            self.schemas(old_items, new_items, "response[item]", "response", 0)
        return self.changes

    def add(self, location: str, detail: str, breaking: bool) -> None:
        self.changes.append(Change(location, detail, breaking))

    def schemas(self, old_uri: str, new_uri: str, location: str, direction: str, depth: int) -> None:
        key = (old_uri, new_uri, direction)
        if depth > MAX_DEPTH or key in self.seen:
            return
        self.seen.add(key)
        old_view, new_view = view(self.old, old_uri), view(self.new, new_uri)
        if not old_view.node or not new_view.node:
            return
        old_types, new_types = set(old_view.stated_types) - {"null"}, set(new_view.stated_types) - {"null"}
        if old_types and new_types and not (old_types & new_types):
            self.add(location, f"type {'/'.join(sorted(old_types))} -> {'/'.join(sorted(new_types))}", True)
            return
        if old_view.node.get("enum") is not None and new_view.node.get("enum") is not None:
            lost = [v for v in old_view.enum or () if v not in (new_view.enum or ())]
            gained = [v for v in new_view.enum or () if v not in (old_view.enum or ())]
            if lost:
                self.add(location, f"enum lost {lost}", direction == "request")
            if gained:
                self.add(location, f"enum gained {gained}", False)
        old_props, old_required = old_view.properties, old_view.required
        new_props, new_required = new_view.properties, new_view.required
        if direction == "request":
            for name in sorted(new_required - old_required):
                self.add(f"{location}.{name}", "new required field", True)
        for name in sorted(set(old_props) - set(new_props)):
            self.add(f"{location}.{name}", "field removed", direction == "response")
        for name in sorted(set(new_props) - set(old_props)):
            if not (direction == "request" and name in new_required):
                self.add(f"{location}.{name}", "new field", False)
        for name in sorted(set(old_props) & set(new_props)):
            self.schemas(old_props[name], new_props[name], f"{location}.{name}", direction, depth + 1)
        if isinstance(old_view.node.get("items"), dict) and isinstance(new_view.node.get("items"), dict):
            self.schemas(child_uri(old_view.resolved, "items"), child_uri(new_view.resolved, "items"), f"{location}[]",
                         direction, depth + 1)


def _shape(path: str) -> str:
    return re.sub(r"{[^}]+}", "{}", path)


def _parameter_key(parameter: Any) -> str:
    """How a parameter is matched across releases, and named in a change: `query.page`; a querystring one
    by its location alone (there is at most one, and its name is never sent)."""
    return "querystring" if parameter.location == "querystring" else f"{parameter.location}.{parameter.name}"


def _item_schema(operation: Operation) -> str | None:
    """The `itemSchema` of the first success answer that streams (OpenAPI 3.2)."""
    for status, response in operation.responses.items():
        if status[:1] == "2" and response.item_schemas:
            return next(iter(response.item_schemas.values()))
    return None


def _success_schema(operation: Operation) -> str | None:
    for status, response in operation.responses.items():
        if status[:1] == "2":
            return next((uri for uri in response.content.values() if uri), None)
    return None
