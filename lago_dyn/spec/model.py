"""The spec as lago_dyn sees it: `$ref` resolution, and each operation reduced to what a call needs.

Loading makes an index of the operations (names, methods, paths, tags, texts: enough to bind, group and
list them); an operation's parameters, body and answers are resolved on its first use. Schemas are never
inlined: validators refer to them by URI (`file:///…/lago.yaml#/components/schemas/Customer`), so
recursive schemas cost nothing here.
"""

from __future__ import annotations

import functools
import re
import threading
import typing
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import quote, unquote, urljoin

from . import dialects, naming
from ..errors import SpecError
from ..suggest import did_you_mean
from .loader import LoadedDocument

#: Header parameters by these names are ignored (OpenAPI 3.x, Parameter Object `name`): the media types,
#: the body's type and the credentials are the client's to set, from the spec's content and security.
IGNORED_HEADER_PARAMETERS = frozenset({"accept", "content-type", "authorization"})
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
#: Media types whose body is a sequence of items, each checked on its own against `itemSchema` (3.2).
SEQUENTIAL_MEDIA_TYPES = ("text/event-stream", "application/jsonl", "application/x-ndjson", "application/json-seq",
                          "multipart/mixed")
_POINTER_SAFE = "/~!$&'()*+,;=:@-._"


_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_.\-]*")


@functools.lru_cache(maxsize=4096, typed=True)  # typed: a `true` key and a `1` key are not one token
def _escape(token: str) -> str:
    """One JSON-pointer token, escaped for a URI fragment. Cached: a spec repeats the same few hundred
    tokens (`parameters`, `0`, `content`, `application/json`, ...) tens of thousands of times."""
    token = str(token)
    if _PLAIN_TOKEN.fullmatch(token):
        return token
    return quote(token.replace("~", "~0").replace("/", "~1"), safe=_POINTER_SAFE)


def pointer_uri(document_uri: str, *tokens: str) -> str:
    """The URI of a node inside a document, from its JSON-pointer tokens."""
    return document_uri + "#" + "".join("/" + _escape(token) for token in tokens)


def child_uri(uri: str, *tokens: str) -> str:
    """The URI of a node below the node at `uri` (which always has a fragment here)."""
    if len(tokens) == 1:
        return uri + "/" + _escape(tokens[0])
    return uri + "".join(["/" + _escape(token) for token in tokens])


#: Keys whose value is data, not part of the document's structure: a `$ref` key inside is no reference.
_DATA_KEYS = frozenset({"example", "default", "enum", "const"})

#: The style a parameter has when it names none, by location (OpenAPI 3.x, Parameter Object `style`).
DEFAULT_STYLES = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}


@dataclass(frozen=True)
class Parameter:
    name: str
    python_name: str
    location: str  # path, query, querystring (3.2: the whole query string), header or cookie
    required: bool
    style: str
    explode: bool
    allow_reserved: bool
    schema: dict[str, Any]  # with its top-level $ref followed: enough to pick a serialization
    schema_uri: str | None
    description: str = ""
    deprecated: bool = False
    #: A parameter described with `content` (JSON in a query string) instead of `schema`.
    media_type: str | None = None
    #: The Encoding Object of a form-encoded `querystring` parameter's properties.
    encoding: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BodyContent:
    """One media type a request body may be sent as: its schema and its Encoding Object (form/multipart)."""

    media_type: str
    schema_uri: str | None
    encoding: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Body:
    python_name: str
    required: bool
    media_type: str  # the one sent by default: JSON when declared, else the first
    schema_uri: str | None
    schema_name: str | None
    description: str = ""
    #: Every declared media type, the default first.
    content: dict[str, BodyContent] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    status: str  # "200", "4XX" or "default"
    description: str
    #: media type -> schema URI (None where the media type has no schema)
    content: dict[str, str | None]
    schema_name: str | None = None
    #: sequential media type -> `itemSchema` URI: answers of these types are streamed item by item.
    item_schemas: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class Operation:
    """One operation (or webhook) of the spec, with Python names for it and its arguments.

    What names and groups the operation (name, method, path, tags, texts) is read with the spec; its
    parameters, body and responses on first use. Reading all 1,223 operations of a large spec up front
    would cost more than loading it, and most programs call a handful. A malformed parameter therefore
    raises SpecError when its operation is first used (`Spec.check()` reads every operation now)."""

    name: str
    operation_id: str | None
    method: str
    path: str
    tags: tuple[str, ...]
    summary: str
    description: str
    deprecated: bool
    security: list[dict[str, list[str]]] | None
    is_webhook: bool = False
    #: Where the rest is read from, on first use.
    declaration: "Declaration | None" = field(default=None, repr=False)

    @functools.cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        return self._arguments[0]

    @functools.cached_property
    def body(self) -> Body | None:
        return self._arguments[1]

    @functools.cached_property
    def _arguments(self) -> tuple[tuple[Parameter, ...], Body | None]:
        return self.declaration.arguments(self) if self.declaration is not None else ((), None)

    @functools.cached_property
    def responses(self) -> dict[str, Response]:
        return self.declaration.responses() if self.declaration is not None else {}

    @property
    def label(self) -> str:
        return self.operation_id or self.name

    @property
    def answer_media_types(self) -> tuple[list[str], list[str]]:
        """The media types the operation answers with: its success answers', and those only its error
        answers declare (what its Accept header lists, in that order)."""
        success = {status: status[:1] in "23" for status in self.responses}
        return ([media for status, response in self.responses.items() if success[status] for media in response.content],
                [media for status, response in self.responses.items() if not success[status]
                 for media in response.content])

    @functools.cached_property
    def streams(self) -> bool:
        """Whether a success answer may be a stream of items (a sequential media type with `itemSchema`):
        the call then reads the answer as it arrives instead of all at once."""
        return any(response.item_schemas for status, response in self.responses.items() if status[:1] == "2")

    def response_for(self, status: int) -> Response | None:
        """The declared response for a status: exact code, then its range (`4XX`), then `default`."""
        return (
            self.responses.get(str(status))
            or self.responses.get(f"{str(status)[0]}XX")
            or self.responses.get("default")
        )


@dataclass(frozen=True)
class Declaration:
    """An Operation Object where it stands in the spec, with its Path Item's shared parameters."""

    spec: "Spec"
    raw: dict[str, Any]
    shared: list[Any]
    #: The Path Item's URI, or the (section, key) it is made from when first needed.
    item: str | tuple[str, str]
    #: From the Path Item to the Operation Object: ("get",) or ("additionalOperations", "COPY").
    steps: tuple[str, ...]
    #: Where the Operation Object is when it was given as a `$ref` (another file's, say), else None.
    referenced_uri: str | None = None

    @functools.cached_property
    def item_uri(self) -> str:
        return self.item if isinstance(self.item, str) else pointer_uri(self.spec.base_uri, *self.item)

    @functools.cached_property
    def uri(self) -> str:
        return self.referenced_uri or child_uri(self.item_uri, *self.steps)

    def arguments(self, operation: Operation) -> tuple[tuple[Parameter, ...], Body | None]:
        """Parameters (operation-level ones win over the Path Item's) in call order, and the body."""
        spec, name = self.spec, operation.name
        parameters: dict[tuple[str, str], Parameter] = {}
        for list_uri, declared in ((child_uri(self.item_uri, "parameters"), self.shared),
                                   (child_uri(self.uri, "parameters"), self.raw.get("parameters") or [])):
            for index, item in enumerate(declared):
                parameter = spec._read_parameter(item, child_uri(list_uri, str(index)), name)
                if parameter.location == "header" and parameter.name.lower() in IGNORED_HEADER_PARAMETERS:
                    continue  # the Parameter Object: such a definition SHALL be ignored
                parameters[(parameter.location, parameter.name)] = parameter
        ordered = _order_path_parameters(list(parameters.values()), operation.path)
        body = spec._read_body(self.raw.get("requestBody"), child_uri(self.uri, "requestBody"), name)
        ordered, body = _unique_python_names(ordered, body)
        return tuple(ordered), body

    def responses(self) -> dict[str, Response]:
        return {
            str(status): self.spec._read_response(str(status), item, child_uri(self.uri, "responses", str(status)))
            for status, item in (self.raw.get("responses") or {}).items()
        }


@dataclass(frozen=True)
class Tag:
    name: str
    summary: str = ""
    description: str = ""
    parent: str | None = None  # 3.2: the tag this one is nested under


@dataclass
class Spec:
    """A loaded OpenAPI 3.0/3.1/3.2 document with its operations."""

    loaded: LoadedDocument
    #: Makes the compiled validators from this Spec on first use (`validation.SchemaValidators`, given
    #: by `load_spec`): validation reads the spec, so the spec is handed the compiler, never imports it.
    compile_validators: typing.Optional[typing.Callable[["Spec"], Any]] = field(
        default=None, repr=False, compare=False)
    #: Two operations with one operationId (the specification says it MUST be unique): "error" refuses
    #: the document, naming both; "rename" keeps both, the later one with a numbered name.
    on_duplicate: str = "error"
    version: str = ""
    operations: dict[str, Operation] = field(default_factory=dict)
    webhooks: dict[str, Operation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.on_duplicate not in ("error", "rename"):
            raise SpecError(f"on_duplicate must be 'error' or 'rename', not {self.on_duplicate!r}")
        root = self.loaded.root
        self.version = _openapi_version(root, self.loaded.base_uri)
        self.dialect = dialects.dialect_for(self.version)
        self._validators: Any = None
        self._validators_lock = threading.Lock()
        self._refuse_reference_cycles()
        read = list(self._read_operations())
        for is_webhook, target in ((False, self.operations), (True, self.webhooks)):
            group = [operation for operation in read if operation.is_webhook == is_webhook]
            self._name_uniquely(group)
            target.update((operation.name, operation) for operation in group)

    def _name_uniquely(self, operations: list[Operation]) -> None:
        """One Python name per operation, by a fixed rule: names from an operationId are given first,
        then names made from method and path; a name already given gets `_2`, `_3`, ... in spec order.
        Only a repeated operationId, which the specification forbids, is refused (unless `rename`)."""
        taken: set[str] = set()
        by_id: dict[str, Operation] = {}
        for explicit in (True, False):
            for operation in operations:
                if isinstance(operation.operation_id, str) != explicit:
                    continue
                first = by_id.setdefault(operation.operation_id, operation) if explicit else operation
                if first is not operation and self.on_duplicate == "error":
                    raise SpecError(
                        f"operations {_describe(first)} and {_describe(operation)} share the operationId "
                        f"{operation.operation_id!r}, which must be unique; fix one, or load the spec with "
                        "on_duplicate='rename' to use both (the second gets a numbered name)")
                name, number = operation.name, 1
                while name in taken:
                    number += 1
                    name = f"{operation.name}_{number}"
                operation.name = name
                taken.add(name)

    # -- document access -------------------------------------------------------------------------------

    @property
    def root(self) -> dict[str, Any]:
        return self.loaded.root

    @property
    def base_uri(self) -> str:
        return self.loaded.base_uri

    @property
    def validators(self) -> Any:
        """The compiled validators of this spec (a `validation.SchemaValidators`), made on first use and
        shared by every client built on it."""
        if self._validators is None:
            if self.compile_validators is None:
                raise SpecError("this Spec was made without its validator compiler: load specs with "
                                "lago_dyn.load_spec (or Client), which give it one")
            with self._validators_lock:
                if self._validators is None:
                    self._validators = self.compile_validators(self)
        return self._validators

    @functools.cached_property
    def security_schemes(self) -> dict[str, dict[str, Any]]:
        """`components.securitySchemes`, each with its `$ref` followed."""
        schemes = (self.root.get("components") or {}).get("securitySchemes") or {}
        resolved = {}
        for name, scheme in schemes.items():
            node, _ = self.resolve(scheme, pointer_uri(self.base_uri, "components", "securitySchemes", name))
            if isinstance(node, dict):
                resolved[str(name)] = node
        return resolved

    @functools.cached_property
    def tags(self) -> dict[str, Tag]:
        """The Tag Objects by name, with 3.2's `parent` and `summary`; a `parent` naming no tag, or one
        that would make a cycle, is dropped (the tag then stands at the top)."""
        declared: dict[str, Tag] = {}
        for raw in self.root.get("tags") or ():
            if isinstance(raw, dict) and isinstance(raw.get("name"), str):
                parent = raw.get("parent")
                declared[raw["name"]] = Tag(raw["name"], str(raw.get("summary") or ""),
                                            str(raw.get("description") or ""),
                                            parent if isinstance(parent, str) else None)
        for name, tag in declared.items():
            seen = {name}
            parent = tag.parent
            while parent is not None and parent in declared and parent not in seen:
                seen.add(parent)
                parent = declared[parent].parent
            if tag.parent not in declared or parent is not None:
                declared[name] = Tag(tag.name, tag.summary, tag.description, None)
        return declared

    @property
    def title(self) -> str:
        return str((self.root.get("info") or {}).get("title", "API"))

    def documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every document of the spec by absolute URI: the spec itself and the files it refers to."""
        yield self.base_uri, self.root
        yield from self.loaded.externals.items()

    def node_at(self, uri: str) -> Any:
        document_uri, _, fragment = uri.partition("#")
        document = self.root if document_uri in ("", self.base_uri) else self.loaded.externals.get(document_uri)
        if document is None:
            raise SpecError(f"$ref to {uri!r}: no such document was loaded")
        node: Any = document
        for token in (unquote(fragment) if "%" in fragment else fragment).split("/")[1:]:
            if "~" in token:
                token = token.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpecError(f"$ref to {uri!r}: the document has nothing at that pointer") from None
        return node

    def resolve(self, node: Any, uri: str) -> tuple[Any, str]:
        """Follow `$ref`s from a node until a node without one; returns it and its URI."""
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            # A local reference ("#/components/..."), nearly every one, needs no URI parsing.
            uri = uri.partition("#")[0] + ref if ref[:1] == "#" else urljoin(uri, ref)
            if "#" not in uri:
                uri += "#"
            if uri in seen:
                raise SpecError(f"$ref cycle through {uri!r}")
            seen.add(uri)
            node = self.node_at(uri)
        return node, uri

    def _refuse_reference_cycles(self) -> None:
        """A component that is only a `$ref` chain leading back to itself describes nothing; JSON Schema
        leaves it undefined, and a validator would accept anything. A cycle must pass through such
        components, so following each one's chain (cheap: no document walk) finds them all."""
        components = self.root.get("components") or {}
        for section, entries in components.items():
            if not isinstance(entries, dict):
                continue
            for name, entry in entries.items():
                if isinstance(entry, dict) and "$ref" in entry:
                    self.resolve(entry, pointer_uri(self.base_uri, "components", section, name))

    # -- operations ------------------------------------------------------------------------------------

    def _read_operations(self) -> Iterator[Operation]:
        """Every operation's names and texts: the cheap part, enough to bind, group and list them."""
        for section, is_webhook in (("paths", False), ("webhooks", True)):
            items = self.root.get(section) or {}
            if not isinstance(items, dict):
                raise SpecError(f"{section!r} must be a mapping")
            for key, path_item in items.items():
                if section == "paths" and str(key).startswith("x-"):
                    continue  # the Paths Object allows extensions beside its paths
                # The Path Item's URI is made only when needed (a `$ref` to follow now, or details to read).
                item: str | tuple[str, str] = (section, str(key))
                if isinstance(path_item, dict) and "$ref" in path_item:
                    path_item, item = self.resolve(path_item, pointer_uri(self.base_uri, section, key))
                if not isinstance(path_item, dict):
                    raise SpecError(f"{section}.{key} must be a mapping")
                shared = path_item.get("parameters") or []
                for method, raw, steps in _operations_of(path_item):
                    referenced_uri = None
                    if "$ref" in raw:  # an Operation Object kept elsewhere (a multi-file layout): followed
                        item_uri = item if isinstance(item, str) else pointer_uri(self.base_uri, *item)
                        raw, referenced_uri = self.resolve(raw, child_uri(item_uri, *steps))
                        if not isinstance(raw, dict):
                            raise SpecError(f"{section}.{key}.{'.'.join(steps)}: its $ref leads to no Operation Object")
                    operation_id = raw.get("operationId")
                    yield Operation(
                        name=naming.operation_name(operation_id if isinstance(operation_id, str) else None,
                                                   method, str(key)),
                        operation_id=operation_id, method=method, path=str(key),
                        tags=tuple(str(tag) for tag in raw.get("tags") or ()),
                        summary=str(raw.get("summary") or ""), description=str(raw.get("description") or ""),
                        deprecated=bool(raw.get("deprecated")), security=raw.get("security", self.root.get("security")),
                        is_webhook=is_webhook,
                        declaration=Declaration(self, raw, shared, item, steps, referenced_uri),
                    )

    def validate(self, target: "str | Operation", value: Any, direction: str = "write") -> list[Any]:
        """Every rule `value` breaks, as `Violation`s ([] when it is valid), with no client and no call:
        against an operation's request body (`direction="write"`) or its success answer (`"read"`), given
        as the operation or its name; a schema of `components/schemas` by name (`"CustomerCreateInput"`);
        or any schema by URI (`"#/components/schemas/Customer"`). As a call would judge it: the
        direction's readOnly/writeOnly rules, formats on requests."""
        if direction not in ("write", "read"):
            raise SpecError(f"validate: direction is 'write' (a request) or 'read' (an answer), not {direction!r}")
        schema_uri, location = self._schema_to_validate(target, direction)
        return list(self.validators.violations(schema_uri, value, location, direction, formats=direction == "write"))

    def _schema_to_validate(self, target: "str | Operation", direction: str) -> tuple[str, str]:
        operation = target if isinstance(target, Operation) else self.operations.get(str(target))
        if operation is not None:
            if direction == "write":
                schema_uri = operation.body.schema_uri if operation.body is not None else None
            else:
                schema_uri = next((uri for status, response in sorted(operation.responses.items())
                                   if status[:1] == "2" for uri in response.content.values() if uri), None)
            if schema_uri is None:
                what = "request body" if direction == "write" else "success answer with a schema"
                raise SpecError(f"validate: {operation.label} has no {what}")
            return schema_uri, "body"
        schemas = (self.root.get("components") or {}).get("schemas") or {}
        if isinstance(target, str) and target in schemas:
            return pointer_uri(self.base_uri, "components", "schemas", target), target
        if isinstance(target, str) and "#" in target:
            uri = urljoin(self.base_uri, target)
            self.node_at(uri)  # SpecError when nothing is there
            return uri, "value"
        raise SpecError(f"validate: {target!r} is neither an operation, a schema of components/schemas, nor a "
                        f"schema URI{did_you_mean(str(target), [*self.operations, *schemas])}")

    def check(self) -> None:
        """Read every operation now (they are read on first use otherwise), and follow every `$ref` they
        reach: a SpecError for the first malformed operation or reference that leads nowhere, naming
        where it stands. For a CI step that vets a new spec release before it reaches users: a document
        it passes raises no SpecError later, in a signature, a docstring or a call."""
        operations = (*self.operations.values(), *self.webhooks.values())
        for operation in operations:
            operation.parameters, operation.responses  # noqa: B018 (read for their errors)
        walked: set[str] = set()
        for operation in operations:
            declaration = operation.declaration
            if declaration is None:
                continue
            self._check_references(operation, declaration.raw, declaration.uri, walked)
            self._check_references(operation, declaration.shared, child_uri(declaration.item_uri, "parameters"),
                                   walked)
        # Every schema the operations reach must be JSON Schema (the validators compile them at a call):
        # the operations' own, and the components their references lead to (each checked whole).
        schemas = {uri for uri in walked if "/components/schemas/" in uri}
        for operation in operations:
            body = operation.body
            schemas.update(parameter.schema_uri for parameter in operation.parameters)
            schemas.update(content.schema_uri for content in (body.content.values() if body else ()))
            for response in operation.responses.values():
                schemas.update((*response.content.values(), *response.item_schemas.values()))
        for uri in sorted(uri for uri in schemas if uri):
            problem = self.dialect.schema_problem(self.node_at(uri))
            if problem:
                raise SpecError(f"the schema at {uri} is not valid JSON Schema: {problem}")

    def _check_references(self, operation: Operation, start: Any, start_uri: str, walked: set[str]) -> None:
        """Every `$ref` below `start` (and below what they lead to, each target once) leads to a node."""
        pending: list[tuple[Any, str, tuple[str, ...], str | None]] = [(start, start_uri, (), None)]
        while pending:
            node, base, path, parent_key = pending.pop()
            if isinstance(node, list):
                pending.extend((item, base, (*path, str(index)), parent_key) for index, item in enumerate(node))
                continue
            if not isinstance(node, dict) or "$id" in node:  # a schema resource of its own: its base differs
                continue
            reference = node.get("$ref")
            if isinstance(reference, str):
                target = base.partition("#")[0] + reference if reference[:1] == "#" else urljoin(base, reference)
                target = target if "#" in target else target + "#"
                if target not in walked:
                    walked.add(target)
                    try:
                        found = self.node_at(target)
                    except SpecError as error:
                        where = child_uri(base, *path) if path else base
                        raise SpecError(f"{operation.label}: the $ref {reference!r} at {where} leads nowhere "
                                        f"({error})") from None
                    pending.append((found, target, (), None))
            for key, value in node.items():
                if isinstance(value, (dict, list)) and key not in _DATA_KEYS \
                        and not (key == "value" and parent_key != "properties") \
                        and not (key == "examples" and isinstance(value, list)):
                    pending.append((value, base, (*path, str(key)), key))

    def _read_parameter(self, item: Any, uri: str, operation: str) -> Parameter:
        raw, uri = self.resolve(item, uri)
        locations = ("path", "query", "header", "cookie") + (("querystring",) if self.version == "3.2" else ())
        if not isinstance(raw, dict) or "name" not in raw or raw.get("in") not in locations:
            raise SpecError(f"{operation}: parameter at {uri} needs a 'name' and an 'in' of {'/'.join(locations)}")
        location = raw["in"]
        style = raw.get("style") or DEFAULT_STYLES.get(location, "form")
        media_type, encoding = None, {}
        if location == "querystring" and not (isinstance(raw.get("content"), dict) and len(raw["content"]) == 1):
            raise SpecError(f"{operation}: the querystring parameter at {uri} needs a 'content' with one media type")
        if "schema" in raw:
            schema_uri = child_uri(uri, "schema")
            schema, _ = self.resolve(raw["schema"], schema_uri)
        elif isinstance(raw.get("content"), dict) and raw["content"]:
            media_type = next(iter(raw["content"]))
            schema_uri = child_uri(uri, "content", media_type, "schema")
            media = raw["content"][media_type] if isinstance(raw["content"][media_type], dict) else {}
            schema, _ = self.resolve(media.get("schema") or {}, schema_uri)
            encoding = media.get("encoding") if isinstance(media.get("encoding"), dict) else {}
        else:
            schema_uri, schema = None, {}
        return Parameter(
            name=str(raw["name"]), python_name=naming.parameter_name(str(raw["name"])), location=location,
            required=bool(raw.get("required")) or location == "path", style=style,
            explode=bool(raw.get("explode", style == "form")), allow_reserved=bool(raw.get("allowReserved")),
            schema=schema if isinstance(schema, dict) else {}, schema_uri=schema_uri,
            description=str(raw.get("description") or ""), deprecated=bool(raw.get("deprecated")),
            media_type=media_type, encoding=encoding,
        )

    def _read_body(self, item: Any, uri: str, operation: str) -> Body | None:
        if item is None:
            return None
        raw, uri = self.resolve(item, uri)
        content = raw.get("content") or {}
        if not content:
            return None
        media_type = _preferred_media_type(content)
        declared = {}
        for key in [media_type, *(other for other in content if other != media_type)]:
            media = content[key] if isinstance(content[key], dict) else {}
            declared[key] = BodyContent(
                media_type=key,
                schema_uri=child_uri(uri, "content", key, "schema") if media.get("schema") is not None else None,
                encoding=media.get("encoding") if isinstance(media.get("encoding"), dict) else {},
            )
        schema_name = _schema_name((content[media_type] or {}).get("schema"))
        return Body(
            python_name=naming.parameter_name(schema_name) if schema_name else "body",
            required=bool(raw.get("required")), media_type=media_type,
            schema_uri=declared[media_type].schema_uri,
            schema_name=schema_name, description=str(raw.get("description") or ""), content=declared,
        )

    def _read_response(self, status: str, item: Any, uri: str) -> Response:
        raw, uri = self.resolve(item, uri)
        content, item_schemas = {}, {}
        schema_name = None
        for media_type, media in (raw.get("content") or {}).items():
            schema = (media or {}).get("schema")
            content[media_type] = child_uri(uri, "content", media_type, "schema") if schema is not None else None
            schema_name = schema_name or _schema_name(schema)
            if (media or {}).get("itemSchema") is not None and _media(media_type) in SEQUENTIAL_MEDIA_TYPES:
                item_schemas[media_type] = child_uri(uri, "content", media_type, "itemSchema")
        return Response(status=status, description=str(raw.get("description") or ""), content=content,
                        schema_name=schema_name, item_schemas=item_schemas)


def _openapi_version(root: dict[str, Any], origin: str) -> str:
    declared = root.get("openapi")
    if "swagger" in root:
        raise SpecError(f"{origin}: Swagger {root['swagger']} is not supported; convert it to OpenAPI 3")
    if not isinstance(declared, str) or not declared.startswith(tuple(dialects.SUPPORTED)):
        found = f"'openapi: {declared}'" if declared is not None else "no 'openapi' field"
        raise SpecError(f"{origin}: not an OpenAPI {'/'.join(dialects.SUPPORTED)} document ({found})")
    if not isinstance(root.get("paths", {}), dict) or ("paths" not in root and "webhooks" not in root):
        raise SpecError(f"{origin}: an OpenAPI document needs 'paths' (or, since 3.1, 'webhooks')")
    return declared[:3]


def _operations_of(path_item: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """(method as sent, Operation Object, the steps to it from the Path Item) for each operation of a Path
    Item: the fixed fields (3.2 adds `query`), then 3.2's `additionalOperations`, whose keys are sent
    exactly as written."""
    for method in HTTP_METHODS:
        if isinstance(path_item.get(method), dict):
            yield method.upper(), path_item[method], (method,)
    additional = path_item.get("additionalOperations")
    for method, raw in (additional.items() if isinstance(additional, dict) else ()):
        if isinstance(raw, dict) and str(method).lower() not in HTTP_METHODS:
            yield str(method), raw, ("additionalOperations", str(method))


def _media(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def _preferred_media_type(content: dict[str, Any]) -> str:
    for media_type in content:
        if media_type.split(";")[0].strip().lower() == "application/json":
            return media_type
    for media_type in content:
        if media_type.split(";")[0].strip().lower().endswith("+json"):
            return media_type
    return next(iter(content))


def _schema_name(schema: Any) -> str | None:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return schema["$ref"].rsplit("/", 1)[-1]
    return None


def _order_path_parameters(parameters: list[Parameter], path: str) -> list[Parameter]:
    """Path parameters in the order the URL names them (the generated client's positional order)."""
    order = {f"{{{p.name}}}": path.find(f"{{{p.name}}}") for p in parameters if p.location == "path"}
    path_params = sorted((p for p in parameters if p.location == "path"), key=lambda p: order[f"{{{p.name}}}"])
    return path_params + [p for p in parameters if p.location != "path"]


#: What a comparison sign that ends a parameter's name says, as a word (`StartTime<`: before a time).
_SIGN_WORDS = {"<": "before", ">": "after", "<=": "at_most", ">=": "at_least", "!": "not", "!=": "not"}


def _unique_python_names(parameters: list[Parameter], body: Body | None) -> tuple[list[Parameter], Body | None]:
    """Two arguments may not share a Python name, by a fixed rule: names that clash across locations
    (`id` in path and query) each get their location (`id_path`, `id_query`); names that still clash
    (`StartTime`, `StartTime<`, `StartTime>`; `MaxResults` and `maxResults`) are kept by the first in
    spec order, and the others get the word for a trailing comparison sign (`start_time_before`,
    `start_time_after`) or else a number (`max_results_2`). A body clashing with a parameter becomes
    `body` (`body_2` when a parameter is called `body`). The docstring shows each argument's name in the spec."""
    from dataclasses import replace

    locations: dict[str, set[str]] = {}
    for parameter in parameters:
        locations.setdefault(parameter.python_name, set()).add(parameter.location)
    unique: list[Parameter] = []
    taken: set[str] = set()
    for parameter in parameters:
        name = parameter.python_name
        if len(locations[name]) > 1:
            name = f"{name}_{parameter.location}"
        if name in taken:
            sign = _SIGN_WORDS.get(parameter.name[len(parameter.name.rstrip("<>=!")):])
            candidate, number = f"{name}_{sign}" if sign else f"{name}_2", 2
            while candidate in taken:
                number += 1
                candidate = f"{name}_{number}"
            name = candidate
        taken.add(name)
        unique.append(parameter if name == parameter.python_name else replace(parameter, python_name=name))
    if body is not None and body.python_name in taken:
        name, number = "body", 2
        while name in taken:  # a parameter may itself be called `body`
            name, number = f"body_{number}", number + 1
        body = replace(body, python_name=name)
    return unique, body


def _describe(operation: Operation) -> str:
    where = "webhook" if operation.is_webhook else operation.method
    return f"{where} {operation.path} ({operation.operation_id or 'no operationId'})"
