"""A call as two pure steps around the network: `prepare` turns an operation and its arguments into the
exact request (parameters by the style table, the body by its codec, credentials by the auth providers,
validation), and `handle` turns the answer into the caller's result or the exception it stands for (status,
content type, decoding by codec, validation, error mapping).

A call is one plan: the facade looks up the operation's `OperationPlan` once (made at its first call and
kept by the facade), fetches the tokens it names, sends what `prepare(plan, ...)` made and gives `handle(plan, ...)` what came
back; nothing here does I/O, so every facade calls alike.
"""

from __future__ import annotations

import decimal
import logging
import warnings
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Callable
from urllib.parse import quote

from ..codecs import media as codecs, params, streams
from .. import models
from ..auth import Applied, Credentials
from ..codecs.media import BodyError
from ..errors import (MissingCredentialsError, RequestValidationError, ResponseDecodeError, ResponseValidationError,
                      Violation, api_error_class)
from ..models import ApiResponse
from .profile import Profile
from ..spec.model import Body, Operation, Parameter, Spec
from ..spec.schema import view
from ..validation import READ, WRITE, SchemaValidators, json_type
from ..wire import WireRequest, WireResponse, media_type_of

log = logging.getLogger("lago_dyn")

STRICT, WARN, OFF = "strict", "warn", "off"
VALIDATION_MODES = (STRICT, WARN, OFF)
_MISSING = object()


@dataclass
class Settings:
    """What a client knows that a call needs, fixed at construction: no I/O, shared by its calls."""

    spec: Spec
    base_url: str
    credentials: Credentials
    profile: Profile
    headers: dict[str, str] = field(default_factory=dict)
    request_validation: bool = True
    #: "strict", "warn" or "off" per operation name; "default" for the rest.
    response_validation: Mapping[str, str] = field(default_factory=lambda: {"default": STRICT})
    #: Check string formats (uuid, date-time, email, ...) and integer ranges: on requests, on answers.
    request_formats: bool = True
    response_formats: bool = False
    #: Results with datetime/date/UUID/Decimal values where the schema's formats say so.
    typed_results: bool = False
    #: Body keys the schema does not declare (the server would drop them): "warn", "error" or "ignore".
    unknown_fields: str = "warn"
    #: Where the API key came from, said when the server refuses it (401): never the key itself.
    key_origin: str = ""
    #: The spec's server path (`/api/v1`) when `base_url` does not end with it: said with every 404.
    missing_server_path: str = ""
    #: Operation name -> the base URL it is sent to instead of `base_url` (Lago's ingestion host).
    hosts: Mapping[str, str] = field(default_factory=dict)

    @property
    def validators(self) -> SchemaValidators:
        return self.spec.validators

    def response_mode(self, operation: Operation) -> str:
        modes = self.response_validation  # `response_modes` made it, so it has a "default"
        return modes.get(operation.name) or modes.get(operation.operation_id or "") or modes["default"]


class OperationPlan:
    """What every call of one operation needs and no call changes, worked out once per client (at the
    operation's first call, so that binding stays cheap; two threads may both make it, alike): its base
    URL, the fixed headers, the credentials when they are the same on every request, the tokens to fetch,
    the response validation mode, and per status and Content-Type of its answers, the declared response,
    schema and decoder."""

    __slots__ = ("operation", "settings", "base_url", "route", "fixed_query", "query_keys", "headers", "response_mode",
                 "fetches", "credentials", "secret_headers", "secret_query", "_answers")

    #: Answers are looked up by (status, Content-Type); a server that varies the type (a boundary) stops here.
    MAX_ANSWER_KINDS = 32

    def __init__(self, operation: Operation, settings: Settings):
        self.operation = operation
        self.settings = settings
        self.base_url = settings.hosts.get(operation.name, settings.base_url)
        # A path key may carry a query (`/?Action=List`) or a fragment (`/#X-Amz-Target=Svc.List`, used to
        # tell operations on one path apart). RFC 3986: the query goes before the fragment, and a fragment
        # is never sent; so the call's parameters join the fixed query, and the fragment is dropped.
        route, _, fixed_query = operation.path.partition("#")[0].partition("?")
        self.route, self.fixed_query = route, fixed_query
        #: Query parameter name -> as the URL carries it (Lago's `external_customer_ids[]` keeps its brackets).
        self.query_keys = {parameter.name: quote(parameter.name, safe="[]")
                           for parameter in operation.parameters if parameter.location == "query"}
        # JSON preferred (`text/plain` for Lago's public key, `application/json` nearly everywhere else).
        self.headers = {"Accept": codecs.accept_header(*operation.answer_media_types), **settings.headers}
        self.response_mode = settings.response_mode(operation)
        try:
            credentials = settings.credentials.plan(operation.label, operation.security)
        except MissingCredentialsError:
            credentials = None  # `prepare` reports it on every call, after checking the arguments
        #: Tokens the facade must fetch (through its transport) before `prepare` can authenticate the call.
        self.fetches = credentials.fetches if credentials is not None else ()
        #: What fixed credentials add (None: applied on each call, or missing).
        self.credentials = credentials.applied_once() if credentials is not None else None
        applied = self.credentials or Applied()
        self.secret_headers = frozenset(applied.secret_headers)
        self.secret_query = frozenset(applied.secret_query)
        self._answers: dict[tuple[int, str], AnswerPlan] = {}

    def answer(self, status: int, content_type: str) -> "AnswerPlan":
        key = (status, content_type)
        known = self._answers.get(key)
        if known is None:
            known = AnswerPlan(self.operation, status, content_type)
            if len(self._answers) < self.MAX_ANSWER_KINDS:
                self._answers[key] = known
        return known


class AnswerPlan:
    """How an answer of one status and Content-Type is read and judged."""

    __slots__ = ("decode", "media_type", "declared", "schema_uri", "is_json")

    def __init__(self, operation: Operation, status: int, content_type: str):
        self.decode = codecs.answer_decoder(content_type)
        self.media_type = media_type_of(content_type)
        self.declared = operation.response_for(status)
        self.schema_uri = _schema_for(self.declared.content, self.media_type) if self.declared is not None \
            else _UNDECLARED
        #: Judged by a JSON schema and shaped (no Content-Type at all is read as JSON too).
        self.is_json = codecs.is_json(self.media_type or "application/json")


def prepare(plan: OperationPlan, arguments: Mapping[str, Any], options: Mapping[str, Any]) -> WireRequest:
    """The request for the plan's operation with `arguments` (by Python name). With request validation on,
    raises RequestValidationError listing every problem instead of making a bad request; raises
    MissingCredentialsError when the operation needs credentials the client does not have. Tokens the
    plan `fetches` must have been fetched first."""
    operation, settings = plan.operation, plan.settings
    validators = settings.validators if settings.request_validation else None
    violations: list[Violation] = []
    path = plan.route
    query: list[str] = [plan.fixed_query] if plan.fixed_query else []
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for parameter in operation.parameters:
        value = arguments.get(parameter.python_name, _MISSING)
        where = f"{parameter.location}.{parameter.name}"
        if value is _MISSING or value is None:
            # Without validation the user's request goes out as given, but a path needs all its parts.
            if parameter.required and (validators is not None or parameter.location == "path"):
                violations.append(Violation(where, "required", "required parameter is missing", "nothing"))
            continue
        try:
            value = codecs.to_json_data(value, where)
            if validators is not None and parameter.schema_uri is not None:
                found = validators.violations(parameter.schema_uri, value, where, WRITE,
                                              reveal_values=parameter.location in ("path", "query", "querystring"),
                                              formats=settings.request_formats)
                if found:
                    violations.extend(found)
                    continue
            if parameter.location == "path":
                path = path.replace("{" + parameter.name + "}", _path_text(parameter, value))
            elif parameter.location == "query":
                query.append(_query_text(parameter, plan.query_keys[parameter.name], value))
            elif parameter.location == "querystring":
                query.append(_querystring_text(parameter, value))
            elif parameter.location == "header":
                headers[parameter.name] = _header_text(parameter, value, where)
            else:
                cookies.append(params.serialize_cookie(parameter.name, value, parameter.explode))
        except BodyError as problem:  # a lone surrogate included: `to_json_data` refuses what UTF-8 cannot carry
            violations.append(problem.violation)

    body_bytes = None
    if operation.body is not None:
        body_bytes = _body(operation.label, operation.body, arguments, options, settings, validators, headers, violations)
    if violations:
        raise RequestValidationError(operation.label, violations)

    applied = plan.credentials
    secret_headers, secret_query = plan.secret_headers, plan.secret_query
    if applied is None:  # credentials asked for on each call (a callable token), or missing: raises here
        applied = Applied()
        for provider in settings.credentials.plan(operation.label, operation.security).providers:
            provider.apply(applied)
        secret_headers, secret_query = frozenset(applied.secret_headers), frozenset(applied.secret_query)
    headers.update(applied.headers)
    cookies.extend(applied.cookies)
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    query.extend(applied.query)
    url = plan.base_url + path
    if query:
        url += "?" + "&".join(part for part in query if part)
    merged = {**plan.headers, **headers}
    if options:
        merged.update(options.get("_headers") or {})
    return WireRequest(operation.method, url, merged, body_bytes, options.get("_request_timeout"),
                       secret_headers=secret_headers, secret_query=secret_query)


def _path_text(parameter: Parameter, value: Any) -> str:
    if parameter.media_type is not None:
        return params.encoder()(codecs.to_json_text(value)[0])
    return params.serialize_path(parameter.name, value, parameter.style, parameter.explode)


def _query_text(parameter: Parameter, name: str, value: Any) -> str:
    encode = params.encoder(parameter.allow_reserved)
    if parameter.media_type is not None:  # `content:` parameters carry a serialized document
        return f"{name}={encode(codecs.to_json_text(value)[0])}"
    return params.serialize(name, value, parameter.style, parameter.explode, encode=encode,
                            encode_name=lambda text: text)


def _querystring_text(parameter: Parameter, value: Any) -> str:
    """3.2's `in: querystring`: the whole query string is the value serialized by its one media type;
    form encoding is query-string ready as it is, anything else (JSON, a JSONPath) is percent-encoded whole."""
    media_type = parameter.media_type or "application/x-www-form-urlencoded"
    encoded = codecs.encode(value, media_type, parameter.encoding, lambda name: ((), None))
    return encoded.content.decode("ascii") if codecs.is_form(media_type) else quote(encoded.content, safe="")


def _header_text(parameter: Parameter, value: Any, where: str) -> str:
    text = codecs.to_json_text(value)[0] if parameter.media_type is not None else \
        params.serialize_header(value, parameter.explode)
    if "\r" in text or "\n" in text or "\0" in text:
        raise BodyError(Violation(where, "header-value", "a header value cannot contain CR, LF or NUL",
                                  json_type(value)))
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise BodyError(Violation(where, "header-value", "a header value must be Latin-1 text",
                                  json_type(value))) from None
    return text


def _outside_lago_dyn() -> int:
    """The stacklevel of the first frame outside this package: a warning points at the user's call."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(__file__))  # lago_dyn/, not call/
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


class UnknownFieldsWarning(UserWarning):
    """A request body has keys its schema does not declare: the server would drop them without a word
    (a typo like `nmae` loses the name). `Client(unknown_fields="error")` refuses such a body instead."""

    def __init__(self, operation: str, violations: list[Violation]):
        self.operation = operation
        self.violations = violations
        super().__init__(f"{operation}: the server ignores fields its spec does not declare: "
                         + "; ".join(f"{v.location} ({v.message})" for v in violations))


def _body(operation_label: str, body: Body, arguments: Mapping[str, Any], options: Mapping[str, Any], settings: Settings,
          validators: SchemaValidators | None, headers: dict[str, str], violations: list[Violation]) -> bytes | None:
    value = arguments.get(body.python_name)
    if value is None:
        if body.required and validators is not None:
            violations.append(Violation("body", "required", "the request body is required", "nothing"))
        return None
    chosen = options.get("_content_type") or body.media_type
    content = body.content.get(chosen)
    if content is None:
        violations.append(Violation("body", "media-type", f"{chosen!r} is not one of the declared body types "
                                    f"({', '.join(body.content)})", "string"))
        return None
    spec = settings.spec

    def property_types(name: str) -> tuple[tuple[str, ...], str | None]:
        return _property_types(spec, content.schema_uri, name)

    try:
        encoded = codecs.encode(value, content.media_type, content.encoding, property_types)
        if encoded.had_decimals and content.schema_uri is not None:  # rare: placed by the schema, encoded again
            value = _decimals_as_the_schema_says(spec, content.schema_uri, value)
            encoded = codecs.encode(value, content.media_type, content.encoding, property_types)
    except BodyError as problem:
        violations.append(problem.violation)
        return None
    if validators is not None and content.schema_uri is not None and encoded.validate:
        violations.extend(validators.violations(content.schema_uri, encoded.data, "body", WRITE,
                                                formats=settings.request_formats))
        if settings.unknown_fields != "ignore" and not violations:
            unknown = validators.unknown_fields(content.schema_uri, encoded.data, "body")
            if settings.unknown_fields == "error":
                violations.extend(unknown)
            elif unknown:
                warnings.warn(UnknownFieldsWarning(operation_label, unknown), stacklevel=_outside_lago_dyn())
    headers["Content-Type"] = encoded.content_type
    return encoded.content


def _decimals_as_the_schema_says(spec: Spec, uri: str, value: Any, depth: int = 0) -> Any:
    """A `Decimal` sent as the schema at its place says: its digits as a string where the schema wants a
    string (Lago's `amount_cents` strings), a number where it wants a number."""
    found = view(spec, uri)
    if isinstance(value, decimal.Decimal):
        if "string" in found.types and not {"number", "integer"} & set(found.types):
            return str(value)
        return value  # the JSON codec makes it a number
    if depth > 64 or not isinstance(value, (Mapping, list, tuple)):
        return value
    if isinstance(value, Mapping):
        properties = found.properties
        return {key: _decimals_as_the_schema_says(spec, properties[key], item, depth + 1) if key in properties
                else item for key, item in value.items()}
    if found.items is not None:
        return [_decimals_as_the_schema_says(spec, found.items, item, depth + 1) for item in value]
    return value


def _property_types(spec: Spec, schema_uri: str | None, name: str) -> tuple[tuple[str, ...], str | None]:
    """A form or multipart field's types and format, as its schema's view says."""
    field_uri = view(spec, schema_uri).properties.get(name) if schema_uri is not None else None
    if field_uri is None:
        return (), None
    found = view(spec, field_uri)
    return found.types, found.format


# -- answers --------------------------------------------------------------------------------------------


def handle(plan: OperationPlan, response: WireResponse) -> ApiResponse:
    """The caller's result for an answer, or the exception it stands for. Error statuses map to exceptions
    first, whatever the validation mode: a 404 is a NotFoundError even when its body is not the one the
    spec describes. Success answers are then checked against the operation: the status must be declared,
    the content type must be one the spec lists, and a JSON body must match its schema."""
    operation, settings = plan.operation, plan.settings
    answer = plan.answer(response.status, response.headers.get("Content-Type", ""))
    decode_problem = None
    try:
        data = answer.decode(response.content)
    except (models.TooDeepError, RecursionError):
        data = response.content
        decode_problem = Violation("body", "json", f"nested deeper than {models.MAX_JSON_DEPTH} levels", "bytes")
    except ValueError as exc:
        data = response.content
        decode_problem = Violation("body", "json", f"not valid JSON ({type(exc).__name__})", "bytes")
    if response.status >= 400:
        error, code, details = settings.profile.error_fields(data)
        raise api_error_class(response.status)(operation.label, response.status, response.headers, data,
                                               response.reason, error=error, code=code, error_details=details,
                                               hint=_hint(operation, response.status, code, settings))
    if decode_problem is not None:  # whatever the mode: never bytes in place of the data
        raise ResponseDecodeError(operation.label, decode_problem,
                                  ApiResponse(response.status, response.headers, None, response.content),
                                  method=operation.method)
    mode = plan.response_mode
    schema_uri = answer.schema_uri
    violations = [] if mode == OFF else _check(operation, response, answer, data, settings)
    if answer.is_json and isinstance(schema_uri, str):
        # Told its schema, a result reads a declared but absent field as None (and types values on request).
        data = models.shape(settings.spec, schema_uri, data, typed=settings.typed_results)
    result = ApiResponse(response.status, response.headers, data, response.content)
    if violations:
        error = ResponseValidationError(operation.label, violations, response=result, method=operation.method)
        if mode == STRICT:
            raise error
        log.warning("%s", error)
    return result


def handle_stream(plan: OperationPlan, opened: streams.OpenStream) -> ApiResponse:
    """`handle` for an operation that may answer with a stream of items (OpenAPI 3.2 `itemSchema`). When
    the answer is a declared sequential type, the result's data is an `ItemStream`: each item decoded,
    checked against `itemSchema` and shaped as it arrives (strict mode raises at the first bad item, the
    ones before it already given). Any other answer (an error, a plain JSON one) is read whole and
    handled as usual."""
    reading = _stream_reading(plan, opened.status, opened.headers)
    if reading is None:
        return handle(plan, opened.read())
    items = streams.ItemStream(opened.chunks, *reading, opened.close, plan.operation.label)
    return ApiResponse(opened.status, opened.headers, items, b"")


async def ahandle_stream(plan: OperationPlan, opened: streams.AsyncOpenStream) -> ApiResponse:
    """`handle_stream` for the async facade: the same decoders and checks, an `AsyncItemStream`."""
    reading = _stream_reading(plan, opened.status, opened.headers)
    if reading is None:
        return handle(plan, await opened.read())
    items = streams.AsyncItemStream(opened.chunks, *reading, opened.close, plan.operation.label)
    return ApiResponse(opened.status, opened.headers, items, b"")


def _stream_reading(plan: OperationPlan, status: int,
                    headers: Mapping[str, str]) -> tuple[streams.Decoder, Callable[[Any, int], Any]] | None:
    """The decoder and the per-item check for a streamed answer; None when the answer is not one."""
    operation, settings = plan.operation, plan.settings
    content_type = headers.get("Content-Type", "")
    declared = operation.response_for(status) if status < 400 else None
    item_uri = _schema_for(declared.item_schemas, media_type_of(content_type)) if declared is not None else None
    decoder = streams.decoder_for(content_type) if isinstance(item_uri, str) else None
    if decoder is None:
        return None
    mode = plan.response_mode

    def check(item: Any, index: int) -> Any:
        where = f"body[{index}]"
        malformed = isinstance(item, streams.Malformed)
        if mode == OFF:
            return item.raw if malformed else item
        if malformed:
            violations = [Violation(where, item.rule, item.reason, "bytes")]
        elif isinstance(item, bytes):
            violations = []  # a binary part is never judged by a JSON schema
        else:
            violations = settings.validators.violations(item_uri, item, where, READ, formats=settings.response_formats)
        if violations:
            error = ResponseValidationError(operation.label, violations,
                                            response=ApiResponse(status, headers, item, b""), method=operation.method)
            if mode == STRICT:
                raise error
            log.warning("%s", error)
        return streams.SKIP if malformed else models.shape(settings.spec, item_uri, item, typed=settings.typed_results)

    return decoder, check


def _hint(operation: Operation, status: int, code: Any, settings: Settings) -> str:
    """What to check first for an error status, when the client can tell."""
    if status == 401 and settings.key_origin:
        return f"Check the API key: it came from {settings.key_origin}"
    if status == 404:
        route = f"{operation.method} {operation.path}"
        if settings.missing_server_path:
            return (f"{route} was not found: base_url {settings.base_url!r} does not end with the spec's server "
                    f"path {settings.missing_server_path!r}; did you mean "
                    f"{settings.base_url + settings.missing_server_path!r}?")
        if code == "route_not_found":
            return f"The server has no route {route}: is base_url {settings.base_url!r} its API's root?"
    return ""


def _check(operation: Operation, response: WireResponse, answer: AnswerPlan, data: Any,
           settings: Settings) -> list[Violation]:
    declared, media_type, schema_uri = answer.declared, answer.media_type, answer.schema_uri
    if declared is None:
        statuses = ", ".join(operation.responses) or "none"
        return [Violation("status", "declared-status",
                          f"{response.status} is not a status this operation declares ({statuses})", "integer")]
    if not response.content and (response.status in _NEVER_CONTENT or operation.method == "HEAD"):
        return []  # HTTP forbids content here: the body a spec declares for it cannot arrive (RFC 9110)
    if not declared.content:
        if response.content.strip():
            return [Violation("body", "no-content", "the spec declares no body for this status, but one arrived",
                              "bytes")]
        return []
    if schema_uri is _UNDECLARED:
        return [Violation("headers.Content-Type", "content-type",
                          f"{media_type or 'no content type'!r} is not one of {', '.join(declared.content)}",
                          "string")]
    if schema_uri is None or not answer.is_json:
        return []  # text and binary answers are returned as they are, never judged by a JSON schema
    return settings.validators.violations(schema_uri, data, "body", READ, formats=settings.response_formats)


_UNDECLARED = object()
#: Statuses whose answer "cannot contain content" (RFC 9110 15.3.5, 15.4.5), whatever the spec declares for them
#: (APIs.guru's AWS documents declare a JSON object under 204); an answer to HEAD has none either (9.3.2).
_NEVER_CONTENT = frozenset({204, 304})


def _schema_for(content: dict[str, str | None], media_type: str) -> Any:
    """The schema of the declared media type that matches (exact, then `type/*`, then `*/*`)."""
    if media_type in content:  # the common case: declared as sent
        return content[media_type]
    lowered = {key.split(";")[0].strip().lower(): uri for key, uri in content.items()}
    for candidate in (media_type, media_type.split("/")[0] + "/*", "*/*"):
        if candidate in lowered:
            return lowered[candidate]
    return _UNDECLARED


def response_modes(value: str | Mapping[str, str]) -> dict[str, str]:
    """`"strict"` or `{"default": "strict", "create_invoice": "warn"}` as a checked mapping."""
    modes = {"default": value} if isinstance(value, str) else {"default": STRICT, **dict(value)}
    for key, mode in modes.items():
        if mode not in VALIDATION_MODES:
            from ..errors import ConfigurationError

            raise ConfigurationError(f"response_validation for {key!r} must be one of {VALIDATION_MODES}, "
                                     f"not {mode!r}")
    return modes

