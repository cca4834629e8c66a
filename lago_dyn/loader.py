"""Reading an OpenAPI document from a path, an http(s) URL or a dict, and nothing else.

Parsing a big spec is the largest part of a cold start, so the bytes are parsed once per content: the
parsed document is kept in an on-disk cache keyed by the SHA-256 of the bytes (see `cache.py`). YAML is
read with the C loader where PyYAML has it, as a *safe* loader that also leaves dates as strings: an
OpenAPI document is JSON data, and `2024-01-01` in an example is a string to JSON Schema.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, Union

from . import cache, dialect, overlay, walk
from .errors import SpecError, SpecLoadError

SpecSource = Union[str, os.PathLike, Mapping[str, Any]]

#: A spec larger than this is refused before it is parsed (bytes). Lago's biggest release is 0.9 MB.
DEFAULT_MAX_SPEC_BYTES = 32 * 1024 * 1024
#: How many nodes a document may expand to through YAML aliases before it is taken for an alias bomb.
MAX_EXPANDED_NODES = 2_000_000
DEFAULT_LOAD_TIMEOUT = 10.0



@functools.lru_cache(maxsize=None)
def _json_compatible_loader() -> type:
    """yaml.safe_load semantics (no Python objects), minus the timestamp type JSON does not have.
    Built on first use: a spec served from the cache never imports PyYAML."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = type("JsonCompatibleLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return loader

_ALIAS = re.compile(rb"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]+", re.MULTILINE)
_EXTERNAL_REF = re.compile(rb"""["']?\$ref["']?\s*:\s*["']?(?!#)[^\s"']""")


@dataclass
class LoadedDocument:
    """A parsed document and the URI that its relative `$ref`s resolve against."""

    root: dict[str, Any]
    base_uri: str
    #: Other documents this one refers to, by absolute URI (files beside the spec).
    externals: dict[str, dict[str, Any]] = field(default_factory=dict)


def parse_bytes(data: bytes, origin: str) -> Any:
    """JSON when the text is JSON (much faster to parse), YAML otherwise."""
    import yaml

    try:
        if data.lstrip()[:1] in (b"{", b"["):
            try:
                return json.loads(data)
            except ValueError:
                pass  # YAML flow style can start with "{" too
        document = yaml.load(data, Loader=_json_compatible_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise SpecLoadError(f"{origin}: not valid YAML or JSON{where}: {problem}") from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise SpecLoadError(f"{origin}: cannot be parsed: {type(exc).__name__}") from None
    if _ALIAS.search(data):
        _refuse_alias_bombs(document, origin)
    return document


def _is_31(root: Any) -> bool:
    return isinstance(root, dict) and str(root.get("openapi", "")).startswith("3.1")


def _parse_spec(data: bytes, origin: str, overlays: list | None = None) -> Any:
    """Parse, apply the overlays (before anything reads the document), then give 3.1's leftover
    `nullable`s their meaning (see dialect.py); all three are cached."""
    document = parse_bytes(data, origin)
    if overlays:
        overlay.apply(document, overlays)
    if _is_31(document) and (b"nullable" in data or overlays):
        dialect.without_nullable(document)
    return document


def _refuse_alias_bombs(document: Any, origin: str) -> None:
    """YAML aliases let a few kilobytes describe billions of nodes ("billion laughs"). The loader shares
    aliased objects, so parsing is cheap, but anything that walks the result would not be: count the
    expanded size once, with a ceiling, before anything walks it."""
    budget = MAX_EXPANDED_NODES
    stack = [document]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise SpecLoadError(
                f"{origin}: expands to more than {MAX_EXPANDED_NODES:,} nodes through YAML aliases; "
                "refusing it as an alias bomb"
            )
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def read_source(source: str | os.PathLike, *, timeout: float, max_bytes: int) -> tuple[bytes, str]:
    """The raw bytes of a spec and its absolute URI."""
    text = os.fspath(source)
    if text.startswith(("http://", "https://")):
        return _fetch(text, timeout=timeout, max_bytes=max_bytes), text
    path = Path(text).expanduser().resolve()
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SpecLoadError(f"{text}: {size:,} bytes is over the {max_bytes:,}-byte limit for a spec")
        return path.read_bytes(), path.as_uri()
    except FileNotFoundError:
        raise SpecLoadError(f"{text}: no such file") from None
    except IsADirectoryError:
        raise SpecLoadError(f"{text}: is a directory, not a spec file") from None
    except OSError as exc:
        raise SpecLoadError(f"{text}: cannot be read: {exc.strerror or exc}") from None


def _fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
    import requests  # only URL specs pay for it here; the client imports it anyway

    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                raise SpecLoadError(f"{url}: HTTP {response.status_code} while fetching the spec")
            chunks, total = [], 0
            for chunk in response.iter_content(chunk_size=65536):
                total += len(chunk)
                if total > max_bytes:
                    raise SpecLoadError(f"{url}: more than the {max_bytes:,}-byte limit for a spec")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.Timeout:
        raise SpecLoadError(f"{url}: no answer within {timeout} s") from None
    except requests.RequestException as exc:
        raise SpecLoadError(f"{url}: cannot be fetched: {type(exc).__name__}") from None


def load_document(
    source: SpecSource,
    *,
    timeout: float = DEFAULT_LOAD_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_SPEC_BYTES,
    cache_dir: str | os.PathLike | None | bool = None,
    allow_remote_refs: bool = False,
    overlays: Sequence[overlay.OverlaySource] | None = None,
) -> LoadedDocument:
    """Load a spec and the documents its `$ref`s point to. `cache_dir=False` disables the disk cache;
    None uses the default location (see `cache.default_dir`). `overlays` (paths, dicts or shipped names
    like "lago-fixes") are applied in order to the spec's own document, right after parsing."""
    patches = overlay.load_all(overlays)
    if isinstance(source, Mapping):
        root = source if isinstance(source, dict) else dict(source)
        if patches:
            root = overlay.apply(copy.deepcopy(root), patches)  # never change the caller's dict
        if _is_31(root) and dialect.has_nullable(root):
            root = dialect.without_nullable(root, copy_first=True)  # never change the caller's dict
        loaded = LoadedDocument(root=root, base_uri="urn:lago-dyn:spec")
        _load_external_refs(loaded, None, timeout=timeout, max_bytes=max_bytes, allow_remote=allow_remote_refs)
        return loaded
    if not isinstance(source, (str, os.PathLike)):
        raise SpecLoadError(f"a spec is a path, an http(s) URL or a dict, not {type(source).__name__}")
    data, uri = read_source(source, timeout=timeout, max_bytes=max_bytes)
    root = cache.parsed(data, lambda: _parse_spec(data, os.fspath(source), patches), cache_dir,
                        also_keyed_on=overlay.fingerprint(patches))
    if not isinstance(root, dict):
        raise SpecError(f"{os.fspath(source)}: is not an OpenAPI document (its top level is not a mapping)")
    loaded = LoadedDocument(root=root, base_uri=uri)
    if _EXTERNAL_REF.search(data):
        _load_external_refs(loaded, data, timeout=timeout, max_bytes=max_bytes, allow_remote=allow_remote_refs)
    return loaded


def _load_external_refs(
    loaded: LoadedDocument, data: bytes | None, *, timeout: float, max_bytes: int, allow_remote: bool
) -> None:
    """Load every document reachable through `$ref`s that leave the spec: files in the spec's own
    folder (or below it), and URLs only when the user allowed remote refs."""
    from urllib.parse import urldefrag, urljoin, urlparse
    from urllib.request import url2pathname

    pending = [(loaded.root, loaded.base_uri)]
    seen = {loaded.base_uri}
    spec_dir = _folder_of(loaded.base_uri)
    while pending:
        document, base = pending.pop()
        for ref in _external_refs(document):
            target = urldefrag(urljoin(base, ref))[0]
            if target in seen:
                continue
            seen.add(target)
            scheme = urlparse(target).scheme
            if scheme in ("http", "https"):
                if not allow_remote:
                    raise SpecError(
                        f"$ref {ref!r} points to a remote document; pass allow_remote_refs=True to allow it"
                    )
                raw, _ = read_source(target, timeout=timeout, max_bytes=max_bytes)
            elif scheme == "file" and spec_dir is not None:
                path = Path(url2pathname(urlparse(target).path)).resolve()
                if spec_dir not in path.parents:
                    raise SpecError(f"$ref {ref!r} leaves the spec's folder ({spec_dir}); refusing to read it")
                raw, _ = read_source(path, timeout=timeout, max_bytes=max_bytes)
            else:
                raise SpecError(f"$ref {ref!r} cannot be resolved from {base}")
            parsed = parse_bytes(raw, target)
            if _is_31(loaded.root) and b"nullable" in raw:
                dialect.without_nullable(parsed)
            loaded.externals[target] = parsed
            pending.append((parsed, target))


def _folder_of(uri: str) -> Path | None:
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    parsed = urlparse(uri)
    return Path(url2pathname(parsed.path)).parent if parsed.scheme == "file" else None


def _external_refs(document: Any) -> set[str]:
    return {
        node["$ref"] for node in walk.mappings(document)
        if isinstance(node.get("$ref"), str) and not node["$ref"].startswith("#")
    }
