"""Driving every operation of a spec through lago_dyn against Stoplight Prism, an independent
implementation of the spec (mock mode: it validates each request and answers with the spec's examples).

Kept apart from the pytest files so that it can also print its table on its own:
    .venv/bin/python tests/conformance/harness.py ../shared/specs/lago-1.51.0.yaml [lago-fixes]
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator
from xml.etree import ElementTree

import jsonschema
import referencing
import requests
from referencing.jsonschema import DRAFT4, DRAFT202012

import lago_dyn
from lago_dyn.spec.model import Operation, Spec
from lago_dyn.binding.examples import example
from lago_dyn.spec import dialects

ROOT = Path(__file__).resolve().parents[2]
PRISM = ROOT / "tools" / "prism" / "node_modules" / ".bin" / "prism"
#: Result tables of this pytest session, printed at its end by tests/conftest.py: the Lago specs'
#: (called / accepted / answers valid) and the public specs' (called / accepted).
TABLES: list[str] = []
PUBLIC_TABLES: list[str] = []
#: The corpus sample's rows (test_corpus_prism.py): totals, then failures by listed class.
CORPUS_TABLE: list[str] = []


def prism_missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not PRISM.exists():
        return "Prism is not installed: run `cd tools/prism && npm ci` (scripts/bootstrap.sh does)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def prism(spec_path: Path, *, errors: bool = False, timeout: float = 60.0) -> Iterator[str]:
    """Prism in mock mode on a free 127.0.0.1 port; yields its base URL and stops it afterwards."""
    port = _free_port()
    command = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec_path)]
    if errors:
        command.append("--errors")
    log = open(os.devnull, "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Prism exited with status {process.returncode} before answering")
            try:
                requests.get(base_url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Prism did not answer within {timeout} s") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


SERVE_MANY = ROOT / "tools" / "prism" / "serve-many.js"


class PrismServers:
    """Prism's mock server for many documents in one Node.js process (tools/prism/serve-many.js: what
    `prism mock` does for each, on a port of its own, with Prism's modules loaded once instead of once per
    document, which costs about 2 s of CPU each). `urls` maps each document Prism serves to its base URL,
    `refused` each one it cannot serve to Prism's reason. An uncaught error in Prism ends the process for
    every document, as it ends `prism mock`: `ended()` tells, and the caller starts a new one."""

    def __init__(self, documents: Iterable[Path], *, timeout: float = 120.0):
        self.urls: dict[Path, str] = {}
        self.refused: dict[Path, str] = {}
        self.process = subprocess.Popen(["node", str(SERVE_MANY), "127.0.0.1", *map(str, documents)],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        try:
            self._read_addresses(time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise

    def _read_addresses(self, deadline: float) -> None:
        stdout = self.process.stdout
        while True:
            ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise RuntimeError("Prism did not serve its documents in time")
            line = stdout.readline()
            if not line:
                raise RuntimeError(f"Prism exited with status {self.process.wait()} before serving its documents")
            answer = json.loads(line)
            if answer.get("ready"):
                return
            if "url" in answer:
                self.urls[Path(answer["document"])] = answer["url"]
            else:
                self.refused[Path(answer["document"])] = answer["error"]

    def ended(self, within: float = 5.0) -> bool:
        """Whether the process has ended, waiting up to `within` seconds for it to (a connection Prism
        closed as it died reaches us before its exit does)."""
        try:
            self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def __enter__(self) -> "PrismServers":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


#: The credentials every conformance run sends (Prism checks that they are there, not what they are).
TOKEN = "conformance-token"
BASIC_LOGIN = ("conformance-user", "conformance-password")


def credentials_for(spec: Spec) -> dict[str, Any]:
    """The Client keyword arguments that authenticate every security scheme the spec declares: a
    (user, password) pair for http basic, a token for every other kind. mutualTLS is left out (a client
    certificate is the transport's business)."""
    auth: dict[str, Any] = {}
    for name, scheme in spec.security_schemes.items():
        if scheme.get("type") == "mutualTLS":
            continue
        is_basic = scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "basic"
        auth[name] = BASIC_LOGIN if is_basic else TOKEN
    return {"auth": auth}


def arguments_for(spec: Spec, operation: Operation, validators: Any) -> dict[str, Any]:
    """Arguments for a call, from the spec itself: every parameter and the body, from the spec's
    examples where they are valid, else generated from the schemas. A body is given in the form its
    media type calls for (text as `str`, binary as `bytes`, files inside multipart and form bodies as
    `bytes`)."""
    arguments: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.schema_uri is None:
            continue
        arguments[parameter.python_name] = _valid_example(spec, parameter.schema_uri, validators)
    body = operation.body
    if body is not None:
        if body.schema_uri is None:
            value = _media_type_example(spec, operation)
        else:
            value = _valid_example(spec, body.schema_uri, validators)
        arguments[body.python_name] = _in_media_type(spec, body.schema_uri, body.media_type, value)
    return arguments


def _media_type_example(spec: Spec, operation: Operation) -> Any:
    """The example of a body that has no schema: the media type's `example`, or its first `examples`."""
    item, uri = spec.resolve(spec.root["paths"][operation.path], spec.base_uri)
    raw, uri = spec.resolve(item[operation.method.lower()].get("requestBody") or {}, uri)
    media = (raw.get("content") or {}).get(operation.body.media_type) or {}
    if "example" in media:
        return media["example"]
    for named in (media.get("examples") or {}).values():
        return spec.resolve(named, uri)[0].get("value")
    return None


def _valid_example(spec: Spec, schema_uri: str, validators: Any) -> Any:
    schema = spec.node_at(schema_uri)
    value = None
    for use_examples in (True, False):
        value = example(spec, schema, use_examples=use_examples, uri=schema_uri, direction="write")
        if not validators.violations(schema_uri, value, "value", "write", formats=True):
            return value
    return value


#: The bytes sent wherever the spec asks for a file or a binary body (Prism checks no file's content).
FILE_CONTENT = b"\x89PNG\r\n\x1a\n conformance file \x00\xff"
_BINARY_MEDIA_TYPES = ("application/octet-stream", "application/pdf", "image/", "audio/", "video/")


def _in_media_type(spec: Spec, schema_uri: str | None, media_type: str, value: Any) -> Any:
    """A JSON-shaped example turned into what a user passes for this media type."""
    schema = spec.resolve(spec.node_at(schema_uri), schema_uri)[0] if schema_uri else {}
    if media_type.startswith(_BINARY_MEDIA_TYPES) or _is_file(schema):
        return FILE_CONTENT
    if media_type.endswith(("/xml", "+xml")) and not isinstance(value, (str, bytes)):
        root = ((schema.get("xml") if isinstance(schema, dict) else None) or {}).get("name") or "body"
        return ElementTree.tostring(_xml_element(root, value), encoding="unicode")
    if media_type.startswith("text/"):
        return value if isinstance(value, str) else "conformance text" if value is None else json.dumps(value)
    if media_type.startswith("multipart/") or media_type == "application/x-www-form-urlencoded":
        return _with_files(spec, schema_uri, value) if isinstance(value, dict) else value
    return value


def _xml_element(name: str, value: Any) -> ElementTree.Element:
    """A JSON-shaped example as XML (lago_dyn sends an XML body as given: the user writes it; Prism checks
    no XML body, so this only needs to be XML): properties as child elements, array items repeated under
    the property's name, scalars as their JSON text."""
    element = ElementTree.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            items = item if isinstance(item, list) else [item]
            element.extend(_xml_element(str(key), one) for one in items)
    elif value is not None:
        element.text = value if isinstance(value, str) else json.dumps(value)
    return element


def _is_file(schema: Any) -> bool:
    """A string of raw bytes: `format: binary` (3.0), or a `contentMediaType` without a
    `contentEncoding` (3.1)."""
    if not isinstance(schema, dict) or schema.get("type") not in ("string", None):
        return False
    return schema.get("format") == "binary" or ("contentMediaType" in schema and "contentEncoding" not in schema)


def _with_files(spec: Spec, schema_uri: str | None, value: dict[str, Any]) -> dict[str, Any]:
    """The body's properties that are files (or arrays of files) as bytes."""
    properties: dict[str, tuple[Any, str]] = {}
    pending = [(spec.node_at(schema_uri), schema_uri)] if schema_uri else []
    while pending:  # the object and its allOf parts
        node, uri = pending.pop()
        node, uri = spec.resolve(node, uri)
        if not isinstance(node, dict):
            continue
        for name, property_schema in (node.get("properties") or {}).items():
            properties.setdefault(name, spec.resolve(property_schema, uri))
        pending.extend((part, uri) for part in node.get("allOf") or ())
    files = dict(value)
    for name, (schema, uri) in properties.items():
        if name not in files:
            continue
        if _is_file(schema):
            files[name] = FILE_CONTENT
        elif isinstance(schema, dict) and schema.get("type") == "array" \
                and _is_file(spec.resolve(schema.get("items") or {}, uri)[0]):
            files[name] = [FILE_CONTENT for _ in files[name] or [None]]
    return files


@dataclass
class Outcome:
    operation: str
    accepted: bool
    response_valid: bool
    problem: str = ""
    #: For an answer that broke the spec: the violations, the body and the schema it was checked against.
    violations: list = field(default_factory=list)
    body: Any = None
    schema_uri: str | None = None
    #: For a refused request: each reason Prism gave, whole.
    refusals: list = field(default_factory=list)


@dataclass
class Report:
    spec: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not (o.accepted and o.response_valid)]

    def acceptance_row(self) -> str:
        called = len(self.outcomes)
        accepted = sum(o.accepted for o in self.outcomes)
        return f"| {self.spec} | {called} | {accepted} ({100 * accepted / max(called, 1):.0f}%) |"

    def table(self) -> str:
        called = len(self.outcomes)
        accepted = sum(o.accepted for o in self.outcomes)
        valid = sum(o.response_valid for o in self.outcomes)
        lines = [f"| {self.spec} | {called} | {accepted} ({100 * accepted / called:.0f}%) | "
                 f"{valid} ({100 * valid / called:.0f}%) |"]
        return "\n".join(lines)


def run(spec_path: Path, base_url: str, overlays: list | None = None, *, spec: Spec | None = None,
        label: str | None = None, operations: Iterable[str] | None = None,
        profile: lago_dyn.Profile | None = None) -> Report:
    """Call every operation of the spec (or the named ones) against Prism with validation on both sides.
    Prism serves the upstream spec as it is; `overlays` patch only lago_dyn's copy of it. `profile`: the
    client's (Lago's unless given)."""
    spec = spec or lago_dyn.load_spec(spec_path, overlays=overlays)
    client = lago_dyn.Client(spec, base_url=base_url, retry=lago_dyn.RetryPolicy(retries=0),
                             **({"profile": profile} if profile else {}), **credentials_for(spec))
    # Arguments come from the upstream spec, so that Prism (which serves it) accepts them.
    upstream = lago_dyn.load_spec(spec_path) if overlays else spec
    report = Report(label or spec_path.name + (" + " + ", ".join(map(str, overlays)) if overlays else ""))
    for name in sorted(client.operations if operations is None else operations):
        function = client.operations[name]
        arguments = arguments_for(upstream, upstream.operations[name], upstream.validators)
        try:
            function(**arguments)
            report.outcomes.append(Outcome(name, True, True))
        except lago_dyn.RequestValidationError as error:
            report.outcomes.append(Outcome(name, False, False, f"our own validator refused the generated "
                                                               f"arguments: {error.violations[0]}"))
        except lago_dyn.ApiError as error:
            refusals = prism_refusals(error)
            if not refusals:  # the error answer the spec declares: lago_dyn raised it, as it should
                report.outcomes.append(Outcome(name, True, True))
            else:
                report.outcomes.append(Outcome(name, False, False, "Prism rejected the request: "
                                               + "; ".join(refusals)[:400], refusals=refusals))
        except lago_dyn.ResponseValidationError as error:
            declared = spec.operations[name].response_for(error.response.status_code)
            schema_uri = next(iter(declared.content.values()), None) if declared else None
            report.outcomes.append(Outcome(name, True, False, f"Prism's answer broke the spec: {error.violations[0]}",
                                           error.violations, error.response.data, schema_uri))
        except lago_dyn.TransportError:
            report.outcomes.append(Outcome(name, False, False, NO_ANSWER, refusals=[NO_ANSWER]))
        except (lago_dyn.LagoDynError, TypeError, ValueError) as error:
            report.outcomes.append(Outcome(name, False, False, f"lago_dyn could not make the call: "
                                                               f"{type(error).__name__}: {error}"))
    return report


def independently_invalid(spec: Spec, schema_uri: str, body: Any) -> bool:
    """The answer is invalid for plain jsonschema too, not only for lago_dyn: a check that a listed defect
    is the spec's (or its server's), not our validator's. OpenAPI 3.0 schemas are read as draft 4, later
    ones as 2020-12, with a leftover `nullable` rewritten as lago_dyn reads it."""
    draft, validator_class = (DRAFT4, jsonschema.Draft4Validator) if spec.version == "3.0" \
        else (DRAFT202012, jsonschema.Draft202012Validator)
    documents = [(uri, dialects.without_nullable(doc, copy_first=True)) for uri, doc in spec.documents()]
    registry = referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(doc, default_specification=draft)) for uri, doc in documents)
    return not validator_class({"$ref": schema_uri}, registry=registry).is_valid(body)


NO_ANSWER = "no answer: Prism closed the connection"
#: Problem types of Prism's own refusals (no route, bad content type, missing credentials, invalid request).
PRISM_ERRORS = "https://stoplight.io/prism/errors#"


def prism_refusals(error: lago_dyn.ApiError) -> list[str]:
    """Each reason Prism gave for refusing the request; none where the error is the answer the spec
    declares (an operation may declare nothing but a 404, and Prism answers a valid request with it)."""
    violations = error.headers.get("sl-violations")
    if violations:
        return _violations(violations)
    body = error.body if isinstance(error.body, dict) else {}
    kind = str(body.get("type", ""))
    if not kind.startswith(PRISM_ERRORS):
        return []
    details = body.get("validation")
    if isinstance(details, list) and details:
        return _violations(json.dumps(details))
    return [f"HTTP {error.status} {kind[len(PRISM_ERRORS):]}: {body.get('detail', '')}"]


def _violations(header: str) -> list[str]:
    try:
        items = json.loads(header)
    except ValueError:
        return [header]
    return [f"{'.'.join(map(str, v.get('location', [])))}: {v.get('message')}" for v in items]


if __name__ == "__main__":
    reason = prism_missing_reason()
    if reason:
        sys.exit(reason)
    path = Path(sys.argv[1])
    with prism(path) as url:
        result = run(path, url, overlays=sys.argv[2:])
    print("| spec | called | accepted | response-valid |\n| --- | ---: | ---: | ---: |")
    print(result.table())
    for failure in result.failures:
        print(f"- {failure.operation}: {failure.problem}")
