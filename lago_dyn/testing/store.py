"""LocalLago's state for any spec: resources recognised from the paths alone, kept in memory.

A *resource* is a collection path with `POST` (create) and/or `GET` (list), and an item path below it,
the collection path plus one path parameter, with `GET` (find), `PUT`/`PATCH` (update) and `DELETE`.
Collections under an item path (`/customers/{external_customer_id}/wallets`) are nested: their records
remember the parent they were made under, their lists show only that parent's, and a parent that does not
exist is a 404. Two collection paths whose answers wrap the same thing (`subscription` in
`/subscriptions`, `subscriptions` in `/customers/{external_customer_id}/subscriptions`) share one store.

What is stored is what the client sent that the answer's schema declares, plus what a server makes (ids,
timestamps: the `StoreProfile` says which), and for a required field nothing was sent for, `null` if the
schema allows it, else the spec's example for that field alone. Nothing else is invented: an optional
field not sent stays absent. A sent value the answer schema refuses is dropped (the answer stays valid).

API-specific rules (Lago's create-or-update on `external_id`, its `lago_id`, its error bodies) live in a
`StoreProfile` the API's own package provides; the core knows none of them.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..binding.examples import valid_example
from ..errors import SpecError
from ..lago.local import error as error_body  # LocalLago answers in Lago's error shape, whatever the spec
from ..spec.model import Operation, Spec
from ..validation import READ

from ..spec.schema import view

#: "The server makes nothing for this field" (Ellipsis, so that a profile needs no import to say it).
MISSING: Any = ...
_ACTIONS = {("POST", False): "create", ("GET", False): "list", ("GET", True): "find",
            ("PUT", True): "update", ("PATCH", True): "update", ("DELETE", True): "delete"}


class Clock:
    """The server's time: real time plus an offset a test moves (`LocalLago.advance`)."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        if self._fixed is not None:
            return self._fixed
        return datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + self.offset_seconds, timezone.utc)

    def set(self, moment: datetime | None) -> None:
        self._fixed = moment.astimezone(timezone.utc) if moment is not None else None


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StoreProfile:
    """What an API does outside its spec, for the store. The defaults know nothing of any API."""

    name = "generic"

    def key_field(self, parameter: str, fields: dict[str, str]) -> str:
        """The record field a path parameter names (`{petId}` -> `id`)."""
        if parameter in fields:
            return parameter
        words = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", parameter).lower().split("_")
        for start in range(1, len(words)):  # owner_code -> code, petId -> id
            if "_".join(words[start:]) in fields:
                return "_".join(words[start:])
        for candidate in ("id", "uuid", "code", "name"):
            if candidate in fields:
                return candidate
        return parameter

    def made_value(self, name: str, schema: dict[str, Any], store: "Store") -> Any:
        """A value the server makes for a field the client did not send (ids, timestamps), or MISSING."""
        kind = schema.get("type")
        if name == "id":
            return store.next_sequence() if kind == "integer" else str(uuid.uuid4())
        if name in ("created_at", "createdAt", "updated_at", "updatedAt") and schema.get("format") == "date-time":
            return iso(store.clock.now())
        return MISSING

    def refreshed_on_update(self) -> tuple[str, ...]:
        return ("updated_at", "updatedAt")

    def on_existing(self, resource: "Resource", key: str) -> str | tuple[int, Any]:
        """What a create does when a record with the same key exists: "update" it, or this answer."""
        return 422, error_body(422, "Unprocessable entity", "value_already_exist", {key: ["value_already_exist"]})

    def not_found(self, resource: "Resource") -> tuple[int, Any]:
        return 404, error_body(404, "Not Found", f"{resource.name}_not_found")

    def page_of(self, arguments: dict[str, Any]) -> tuple[int, int] | None:
        return _positive(arguments.get("page"), 1), _positive(arguments.get("per_page"), 20)

    def meta(self, page: int, per_page: int, total: int) -> dict[str, Any]:
        total_pages = max(math.ceil(total / per_page), 1)
        return {"current_page": page, "next_page": page + 1 if page < total_pages else None,
                "prev_page": page - 1 if page > 1 else None, "total_pages": total_pages, "total_count": total}


@dataclass
class Entry:
    record: dict[str, Any]
    parents: dict[str, Any] = field(default_factory=dict)


@dataclass
class Resource:
    """One kind of stored thing: its name (the answer's wrapper key, `customer`), item schema, list key."""

    name: str
    item_uri: str
    envelope: str | None  # the key wrapping one record in requests and answers, None: unwrapped
    plural: str | None = None  # the key of the array in list answers, None: a bare array
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Route:
    action: str  # create, list, find, update, delete
    resource: Resource
    key_parameter: str | None  # the item path's last parameter
    parents: tuple[str, ...]  # the other path parameters, outermost first
    parent_resources: tuple[tuple[str, "Resource", str | None], ...]  # (parameter, resource, its key param)
    status: int
    list_has_meta: bool = False
    filters: tuple[tuple[str, str], ...] = ()  # (argument, record field) of list query filters
    writable: frozenset[str] | None = None  # the fields the request may set (None: any the answer declares)
    envelope: str | None = None  # this route's answer key around one record (None: unwrapped)
    plural: str | None = None  # this route's answer key around a list (None: a bare array)
    request_envelope: str | None = None  # the request's key around the record (None: unwrapped)
    item_uri: str | None = None  # this route's schema of one record, when it is not the resource's


class Store:
    """Every resource of a spec, and the operations that map onto them (`routes`)."""

    def __init__(self, spec: Spec, profile: StoreProfile | None = None, clock: Clock | None = None):
        self.spec = spec
        self.validators = spec.validators
        self.profile = profile or StoreProfile()
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self._sequence = 0
        self._examples: dict[str, Any] = {}
        self._shapes: dict[str, tuple[str, dict[str, str], set[str], dict[str, Any]]] = {}
        self.resources: dict[str, Resource] = {}
        self.routes: dict[str, Route] = {}
        self._map()

    # -- recognising resources ---------------------------------------------------------------------------

    def _map(self) -> None:
        groups: dict[str, dict[str, Operation]] = {}
        for operation in self.spec.operations.values():
            parts = operation.path.rstrip("/").split("/")
            is_item = parts[-1].startswith("{")
            action = _ACTIONS.get((operation.method, is_item))
            if action is None:
                continue
            collection = "/".join(parts[:-1]) if is_item else operation.path.rstrip("/")
            groups.setdefault(collection, {}).setdefault(action, operation)
        by_collection: dict[str, Resource] = {}
        pending_lists: list[tuple[str, Operation]] = []
        for collection, actions in sorted(groups.items(), key=lambda item: item[0].count("{")):
            resource = None
            for action in ("find", "create", "update", "delete"):
                operation = actions.get(action)
                shape = self._item_answer(operation) if operation is not None else None
                if shape is not None and (action != "create" or self._creates(operation, shape[0])):
                    resource = self._resource(*shape)
                    break
            if resource is None:
                if "list" in actions:
                    pending_lists.append((collection, actions["list"]))
                continue
            by_collection[collection] = resource
            for action, operation in actions.items():
                self._add_route(collection, action, operation, resource, by_collection)
        for collection, operation in pending_lists:  # lists of what another collection creates
            shape = self._list_answer(operation)
            if shape is None:
                continue
            plural = shape[0]
            resource = next((r for r in self.resources.values() if plural is not None and plural == r.plural), None)
            if resource is not None:
                self._add_route(collection, "list", operation, resource, by_collection)
        # A resource nothing in this spec can create stays with the examples: always empty would be true
        # of a fresh account but useless to test against (the profile names what its rules create).
        created = {route.resource.name for route in self.routes.values() if route.action == "create"}
        created |= set(getattr(self.profile, "created_by_rules", ()))
        self.routes = {name: route for name, route in self.routes.items() if route.resource.name in created}
        self.resources = {key: r for key, r in self.resources.items() if r.name in created}

    def _resource(self, envelope: str | None, item_uri: str) -> Resource:
        name = envelope or item_uri
        if name not in self.resources:
            self.resources[name] = Resource(name=envelope or "record", item_uri=item_uri, envelope=envelope)
        return self.resources[name]

    def _add_route(self, collection: str, action: str, operation: Operation, resource: Resource,
                   by_collection: dict[str, Resource]) -> None:
        names = re.findall(r"{([^}]+)}", operation.path)
        key = names[-1] if action in ("find", "update", "delete") and names else None
        parents = tuple(n for n in names if n != key)
        status = next((int(s) for s in operation.responses if s in ("200", "201", "202", "204")), 200)
        list_has_meta = False
        envelope = plural = item_uri = None
        if action == "list":
            shape = self._list_answer(operation)
            if shape is None:
                return
            plural, item_uri, list_has_meta = shape
            resource.plural = resource.plural or plural
        else:
            item = self._item_answer(operation)
            if item is None and status != 204:
                return
            envelope = item[0] if item is not None else resource.envelope
            item_uri = item[1] if item is not None else None
        parent_resources = []
        prefix = collection
        for parameter in reversed(parents):  # /customers/{external_customer_id}/wallets -> customers
            cut = prefix.rfind("/{" + parameter + "}")
            if cut < 0:
                break
            prefix = prefix[:cut]
            parent = by_collection.get(prefix)
            if parent is not None:
                parent_resources.append((parameter, parent, parameter))
        filters = []
        if action == "list":
            _, fields, _, _ = self.shape(resource.item_uri)
            for parameter in operation.parameters:
                name = parameter.name.removesuffix("[]")
                if parameter.location == "query" and name in fields and name not in ("page", "per_page"):
                    filters.append((parameter.python_name, name))
        request_envelope = None
        if operation.body is not None and operation.body.schema_uri and resource.envelope is not None \
                and resource.envelope in self.shape(operation.body.schema_uri)[1]:
            request_envelope = resource.envelope
        self.routes[operation.name] = Route(action, resource, key, parents, tuple(parent_resources), status,
                                            list_has_meta, tuple(filters), self._writable(operation, resource),
                                            envelope, plural, request_envelope,
                                            item_uri if item_uri != resource.item_uri else None)

    def _writable(self, operation: Operation, resource: Resource) -> frozenset[str] | None:
        """What a client may set: the fields the request body declares (as Rails' strong parameters
        ignore the rest, a sent `lago_id` or `created_at` is not stored)."""
        if operation.body is None or not operation.body.schema_uri:
            return None
        kind, fields, _, _ = self.shape(operation.body.schema_uri)
        if kind != "object":
            return None
        if resource.envelope is not None and resource.envelope in fields:
            kind, fields, _, _ = self.shape(fields[resource.envelope])
        return frozenset(fields) if kind == "object" and fields else None

    def _json_answer(self, operation: Operation) -> str | None:
        for status in ("200", "201", "202"):
            response = operation.responses.get(status)
            if response is not None and response.content:
                return next((uri for media, uri in response.content.items() if "json" in media and uri), None)
        return None

    def _item_answer(self, operation: Operation) -> tuple[str | None, str] | None:
        """(envelope, item schema URI) of an answer holding one record, or None."""
        uri = self._json_answer(operation)
        if uri is None:
            return None
        kind, fields, _, _ = self.shape(uri)
        if kind != "object" or not fields:
            return None
        objects = [name for name, child in fields.items() if self.shape(child)[0] == "object"]
        if len(fields) == 1 and len(objects) == 1:
            return objects[0], fields[objects[0]]
        if len(fields) == 1 or (len(fields) == 2 and "meta" in fields):
            return None  # one array (a list), or one plain value: not a record
        return None, uri

    def _list_answer(self, operation: Operation) -> tuple[str | None, str, bool] | None:
        uri = self._json_answer(operation)
        if uri is None:
            return None
        kind, fields, _, node = self.shape(uri)
        if kind == "array":
            return None, self._items_uri(uri), False
        arrays = [name for name, child in fields.items() if self.shape(child)[0] == "array"]
        if kind == "object" and len(arrays) == 1:
            items = self._items_uri(fields[arrays[0]])
            if items is not None and self.shape(items)[0] == "object":
                return arrays[0], items, "meta" in fields
        return None

    def _creates(self, operation: Operation, envelope: str | None) -> bool:
        """A POST creates what it answers when its request wraps the same key (or neither wraps)."""
        if operation.body is None or not operation.body.schema_uri:
            return False
        kind, fields, _, _ = self.shape(operation.body.schema_uri)
        if kind != "object":
            return False
        return envelope in fields if envelope is not None else bool(fields)

    # -- schemas ---------------------------------------------------------------------------------------

    def shape(self, uri: str) -> tuple[str, dict[str, str], set[str], dict[str, Any]]:
        """(kind, fields name -> URI, required names, resolved node) of a schema; anyOf/oneOf read as
        their first non-null branch."""
        cached = self._shapes.get(uri)
        if cached is not None:
            return cached
        node, node_uri = self.spec.resolve(self.spec.node_at(uri), uri)
        shape: tuple[str, dict[str, str], set[str], dict[str, Any]] = ("any", {}, set(), {})
        if isinstance(node, dict):
            types = self._types(node_uri)
            if "object" in types or "properties" in node:
                fields, required = self._fields(node_uri)
                branch = self._branch(node, node_uri)
                if not fields and branch is not None:
                    shape = self.shape(branch)
                else:
                    shape = ("object", fields, required, node)
            elif "array" in types:
                shape = ("array", {}, set(), node)
            elif types:
                shape = (types[0], {}, set(), node)
            else:
                branch = self._branch(node, node_uri)
                if branch is not None:
                    shape = self.shape(branch)
                    shape = (shape[0], shape[1], shape[2], node if shape[0] != "object" else shape[3])
        self._shapes[uri] = shape
        return shape

    def _branch(self, node: dict[str, Any], uri: str) -> str | None:
        for combinator in ("anyOf", "oneOf"):
            for index, branch in enumerate(node.get(combinator) or ()):
                branch_uri = f"{uri}/{combinator}/{index}" if "#" in uri else f"{uri}#/{combinator}/{index}"
                if self._types(branch_uri):
                    return branch_uri
        return None

    def _types(self, uri: str) -> list[str]:
        """The JSON types (but null) the schema at `uri` admits."""
        return list(view(self.spec, uri).concrete_types)

    def _fields(self, uri: str) -> tuple[dict[str, str], set[str]]:
        """An object schema's fields (name -> URI, `allOf` merged) and required names."""
        found = view(self.spec, uri)
        return dict(found.properties), set(found.required)

    def _items_uri(self, uri: str) -> str | None:
        node, node_uri = self.spec.resolve(self.spec.node_at(uri), uri)
        if isinstance(node, dict) and isinstance(node.get("items"), dict):
            return f"{node_uri}/items" if "#" in node_uri else f"{node_uri}#/items"
        branch = self._branch(node, node_uri) if isinstance(node, dict) else None
        return self._items_uri(branch) if branch else None

    def nullable(self, uri: str) -> bool:
        return not self.validators.violations(uri, None, "", READ)

    def example(self, uri: str) -> Any:
        if uri not in self._examples:
            try:
                self._examples[uri] = valid_example(self.spec, uri, self.validators, READ)
            except SpecError:
                self._examples[uri] = None
        return self._examples[uri]

    def next_sequence(self) -> int:
        with self.lock:
            self._sequence += 1
            return self._sequence

    def complete(self, value: Any, uri: str, depth: int = 0) -> Any:
        """`value` (what was sent, or made) as the schema at `uri` answers it: undeclared fields dropped,
        server-made fields added, required ones not sent null (or the field's example if null is refused)."""
        kind, fields, required, node = self.shape(uri)
        if depth > 12:
            return value
        if kind == "object" and isinstance(value, dict):
            out = {k: v for k, v in value.items() if k in fields} if fields else dict(value)
            for name, child in fields.items():
                if name in out:
                    out[name] = self.complete(out[name], child, depth + 1)
                    continue
                child_node = self.shape(child)[3]
                made = self.profile.made_value(name, child_node if isinstance(child_node, dict) else {}, self)
                if made is not MISSING:
                    out[name] = made
                elif name in required:
                    out[name] = None if self.nullable(child) else self.example(child)
            for name in required - set(fields) - set(out):  # required but undescribed: any value is valid
                out[name] = None
            return out
        if kind == "array" and isinstance(value, list):
            items = self._items_uri(uri)
            return [self.complete(item, items, depth + 1) for item in value] if items else value
        return _as_kind(value, kind)

    def fit(self, record: Any, uri: str, keep: dict[str, Any] | None = None) -> Any:
        """`record` made valid for its schema, field by field, at any depth: a refused field takes `keep`'s
        value (top level), else null if allowed, else the field's example if required, else goes."""
        for _ in range(16):
            problems = self.validators.violations(uri, record, "", READ)
            if not problems:
                return record
            if not any([self._repair(record, uri, _tokens(p.location), keep) for p in problems]):
                return record
        return record

    def _repair(self, value: Any, uri: str, tokens: list[Any], keep: dict[str, Any] | None) -> bool:
        container, container_uri = value, uri
        for token in tokens[:-1]:
            if isinstance(token, int):
                if not isinstance(container, list) or token >= len(container):
                    return False
                container_uri, container = self._items_uri(container_uri), container[token]
            else:
                if not isinstance(container, dict) or token not in container:
                    return False
                container_uri, container = self.shape(container_uri)[1].get(token), container[token]
            if container_uri is None:
                return False
        if not tokens:
            return False
        last = tokens[-1]
        if isinstance(last, int):
            if isinstance(container, list) and last < len(container):
                container.pop(last)
                return True
            return False
        if not isinstance(container, dict):
            return False
        _, fields, required, _ = self.shape(container_uri)
        child = fields.get(last)
        current = container.get(last, MISSING)
        if keep is not None and len(tokens) == 1 and last in keep and keep[last] != current:
            container[last] = keep[last]
            return True
        if child is None:
            if current is MISSING and last in required:
                container[last] = None  # required but undescribed: any value is valid
                return True
            return container.pop(last, MISSING) is not MISSING
        if current is not None and self.nullable(child):
            container[last] = None
            return True
        if last in required:
            example = self.example(child)
            if current != example:
                container[last] = example
                return True
            return False
        return container.pop(last, MISSING) is not MISSING

    # -- answering ---------------------------------------------------------------------------------------

    def handle(self, operation: Operation, arguments: dict[str, Any],
               made: dict[str, Any] | None = None) -> tuple[int, Any] | None:
        """The answer to `operation` from the stored state, or None if it maps to no resource. `made`: fields
        an API's rules set on a create or update beside what the client may send (Lago's `taxes`)."""
        route = self.routes.get(operation.name)
        if route is None:
            return None
        with self.lock:
            missing_parent = self._missing_parent(route, arguments)
            if missing_parent is not None:
                return self.profile.not_found(missing_parent)
            if route.action in ("create", "update"):
                return getattr(self, "_" + route.action)(route, arguments, made or {})
            return getattr(self, "_" + route.action)(route, arguments)

    def _missing_parent(self, route: Route, arguments: dict[str, Any]) -> Resource | None:
        for parameter, parent, _ in route.parent_resources:
            value = _argument(self.spec, arguments, parameter)
            if value is not None and self.find_entry(parent, parameter, value, {}) is None:
                return parent
        return None

    def sent(self, route: Route, arguments: dict[str, Any]) -> dict[str, Any]:
        body = arguments.get("body")
        if not isinstance(body, dict):
            return {}
        if route.request_envelope is not None:
            body = body.get(route.request_envelope)
            if not isinstance(body, dict):
                return {}
        return {k: v for k, v in body.items() if route.writable is None or k in route.writable}

    def wrap(self, route: Route, record: dict[str, Any]) -> Any:
        record = self.seen_by(route, record)
        return {route.envelope: record} if route.envelope is not None else record

    def seen_by(self, route: Route, record: dict[str, Any]) -> dict[str, Any]:
        """The record as this route's schema answers it (a list may show more, or less, than a find)."""
        if route.item_uri is None:
            return record
        return self.fit(self.complete(dict(record), route.item_uri), route.item_uri)

    def _parents_of(self, route: Route, arguments: dict[str, Any]) -> dict[str, Any]:
        return {name: _argument(self.spec, arguments, name) for name in route.parents}

    def insert(self, resource: Resource, given: dict[str, Any], parents: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new record from `given` (the caller's fields, or ones a rule made), stored and returned."""
        _, fields, _, _ = self.shape(resource.item_uri)
        record = self.complete({k: v for k, v in given.items() if k in fields}, resource.item_uri)
        for name, value in (parents or {}).items():
            if name in fields and name not in given and value is not None:
                record[name] = value
        record = self.fit(record, resource.item_uri)
        resource.entries.append(Entry(record, dict(parents or {})))
        return record

    def _create(self, route: Route, arguments: dict[str, Any], made: dict[str, Any]) -> tuple[int, Any]:
        resource = route.resource
        given = {**self.sent(route, arguments), **made}
        parents = self._parents_of(route, arguments)
        key = self._natural_key(resource)
        existing = self.find_entry(resource, None, given.get(key), parents) if key and key in given else None
        if existing is not None:
            decision = self.profile.on_existing(resource, key)
            if decision != "update":
                return decision  # type: ignore[return-value]
            return route.status, self.wrap(route, self.update_entry(resource, existing, given))
        return route.status, self.wrap(route, self.insert(resource, given, parents))

    def _natural_key(self, resource: Resource) -> str | None:
        """The field item routes find a record by (`code`, `external_id`), if the client sets it."""
        _, fields, _, _ = self.shape(resource.item_uri)
        for route in self.routes.values():
            if route.resource is resource and route.key_parameter:
                name = self.profile.key_field(route.key_parameter, fields)
                if name in fields:
                    made = self.profile.made_value(name, self.shape(fields[name])[3], self)
                    if made is MISSING:
                        return name
        return None

    def update_entry(self, resource: Resource, entry: Entry, given: dict[str, Any]) -> dict[str, Any]:
        _, fields, _, _ = self.shape(resource.item_uri)
        before = dict(entry.record)
        changes = self.complete({k: v for k, v in given.items() if k in fields}, resource.item_uri)
        changes = {k: v for k, v in changes.items() if k in given}
        record = {**before, **changes}
        for name in self.profile.refreshed_on_update():
            if name in fields and name in record:
                record[name] = iso(self.clock.now())
        entry.record = self.fit(record, resource.item_uri, keep=before)
        return entry.record

    def find_entry(self, resource: Resource, parameter: str | None, value: Any,
                   parents: dict[str, Any]) -> Entry | None:
        _, fields, _, _ = self.shape(resource.item_uri)
        key = self.profile.key_field(parameter, fields) if parameter else self._natural_key(resource)
        if key is None or value is None:
            return None
        for entry in resource.entries:
            if _same(entry.record.get(key), value) and self._under(entry, parents):
                return entry
        return None

    def _under(self, entry: Entry, parents: dict[str, Any]) -> bool:
        for name, value in parents.items():
            if value is None:
                continue
            if name in entry.parents:
                if not _same(entry.parents[name], value):
                    return False
            elif name in entry.record and not _same(entry.record[name], value):
                return False
        return True

    def _entry_for(self, route: Route, arguments: dict[str, Any]) -> Entry | None:
        value = _argument(self.spec, arguments, route.key_parameter) if route.key_parameter else None
        return self.find_entry(route.resource, route.key_parameter, value, self._parents_of(route, arguments))

    def _find(self, route: Route, arguments: dict[str, Any]) -> tuple[int, Any]:
        entry = self._entry_for(route, arguments)
        if entry is None:
            return self.profile.not_found(route.resource)
        return route.status, self.wrap(route, dict(entry.record))

    def _update(self, route: Route, arguments: dict[str, Any], made: dict[str, Any]) -> tuple[int, Any]:
        entry = self._entry_for(route, arguments)
        if entry is None:
            return self.profile.not_found(route.resource)
        given = {**self.sent(route, arguments), **made}
        return route.status, self.wrap(route, dict(self.update_entry(route.resource, entry, given)))

    def _delete(self, route: Route, arguments: dict[str, Any]) -> tuple[int, Any]:
        entry = self._entry_for(route, arguments)
        if entry is None:
            return self.profile.not_found(route.resource)
        route.resource.entries.remove(entry)
        return route.status, (self.wrap(route, dict(entry.record)) if route.status != 204 else None)

    def _list(self, route: Route, arguments: dict[str, Any]) -> tuple[int, Any]:
        parents = self._parents_of(route, arguments)
        records = [dict(e.record) for e in route.resource.entries if self._under(e, parents)]
        records = [r for r in records if self._matches(r, route, arguments)]
        page, per_page = self.profile.page_of(arguments) or (1, len(records) or 1)
        chunk = records[(page - 1) * per_page: page * per_page] if route.list_has_meta else records
        chunk = [self.seen_by(route, record) for record in chunk]
        if route.plural is None:
            return route.status, chunk
        answer: dict[str, Any] = {route.plural: chunk}
        if route.list_has_meta:
            answer["meta"] = self.profile.meta(page, per_page, len(records))
        return route.status, answer

    def _matches(self, record: dict[str, Any], route: Route, arguments: dict[str, Any]) -> bool:
        """Query filters naming a field of the record (`external_customer_id=...`, `status[]=...`)."""
        for argument, name in route.filters:
            wanted = arguments.get(argument)
            if wanted is None:
                continue
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if not any(_same(record.get(name), value) for value in allowed):
                return False
        return True

    def records(self, name: str) -> list[dict[str, Any]]:
        resource = self.resources.get(name)
        return [e.record for e in resource.entries] if resource is not None else []

    def clear(self) -> None:
        with self.lock:
            for resource in self.resources.values():
                resource.entries.clear()


def _as_kind(value: Any, kind: str) -> Any:
    """A scalar sent as one JSON type where the answer has another (`"rate": "20"` answered as 20)."""
    if kind in ("number", "integer") and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        if number != number or number in (float("inf"), float("-inf")):
            return value
        return int(number) if kind == "integer" or (number.is_integer() and "." not in value) else number
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _tokens(location: str) -> list[Any]:
    """`fees[0].item.type` -> ["fees", 0, "item", "type"]."""
    return [int(index) if index else name for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", location)]


def _argument(spec: Spec, arguments: dict[str, Any], parameter: str) -> Any:
    if parameter in arguments:
        return arguments[parameter]
    python = re.sub(r"\W", "_", re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", parameter)).lower()
    return arguments.get(python)


def _same(stored: Any, wanted: Any) -> bool:
    return stored == wanted or (stored is not None and str(stored) == str(wanted))


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default

