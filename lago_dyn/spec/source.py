"""A spec's bytes and their parsing: from a path or an http(s) URL (fetched through a transport the
caller gives, so this module does no network I/O itself), parsed as JSON when the text is JSON and as
YAML otherwise, with a *safe* loader that also leaves dates as strings (an OpenAPI document is JSON
data: `2024-01-01` in an example is a string to JSON Schema), and YAML alias bombs refused. The loader
reads specs with it, and the overlay module reads overlay files with it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import walk
from ..errors import LagoDynError, SpecLoadError

#: A spec larger than this is refused before it is parsed (bytes), unless `max_document_bytes=` says
#: otherwise. Lago's biggest release is 0.9 MB; the largest public descriptions (Microsoft Graph) 47 MB.
DEFAULT_MAX_SPEC_BYTES = 128 * 1024 * 1024
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


#: A YAML alias (`*name`) anywhere in the text: only then is the parsed document walked for alias bombs.
_ALIAS = re.compile(rb"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]+", re.MULTILINE)


#: A mapping key YAML reads as a number, a boolean or null (`200:`, `yes:`), not a string: rare, and only
#: then is the document walked to give such keys their JSON spelling.
_BARE_KEY = re.compile(rb"^[ \t-]*(?:[0-9][0-9_.eE+-]*|true|false|yes|no|on|off|null|~)[ \t]*:(?:[ \t]|$)",
                       re.MULTILINE | re.IGNORECASE)


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


def parse_bytes(data: bytes, origin: str) -> Any:
    """JSON when the text is JSON (much faster to parse, and PyYAML is then not even imported), YAML
    otherwise."""
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return json.loads(data)
        except ValueError:
            pass  # YAML flow style can start with "{" too
        except RecursionError:
            raise SpecLoadError(f"{origin}: cannot be parsed: RecursionError") from None
    import yaml

    try:
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
    if _BARE_KEY.search(data):
        walk.string_keys(document)  # `200:` unquoted: the key JSON (and every pointer) spells "200"
    return document


#: Makes the transport a URL is fetched with, from the fetcher's settings (timeout, size cap, session,
#: verify): the client gives one that opens its own kind of transport.
TransportFactory = Callable[["Fetcher"], Any]


@dataclass(frozen=True)
class Fetcher:
    """How URLs are fetched: the user's session (proxies, certificates), `verify`, a timeout and a size
    limit, through the same transport (redirect rules, bounded reads, messages) that calls use. The
    transport comes from `open_transport`, given by the caller: reading a spec does no I/O of its own."""

    timeout: float = DEFAULT_LOAD_TIMEOUT
    max_bytes: int = DEFAULT_MAX_SPEC_BYTES
    session: Any = None
    verify: Any = True
    open_transport: TransportFactory | None = None

    def fetch(self, url: str) -> bytes:
        if self.open_transport is None:
            raise SpecLoadError(f"{url.split('?', 1)[0]}: a URL needs a transport to be fetched with; "
                                "load it through lago_dyn.load_spec or Client, or pass a path or a dict")
        from ..wire import WireRequest

        transport = self.open_transport(self)
        try:
            response = transport.send(WireRequest("GET", url, {"Accept": "application/json, application/yaml, */*"}))
        except LagoDynError as error:
            raise SpecLoadError(f"the spec cannot be fetched: {error}") from None
        finally:
            transport.close()
        if response.status != 200:
            raise SpecLoadError(f"{url.split('?', 1)[0]}: HTTP {response.status} while fetching the spec")
        return response.content


def read_source(source: str | os.PathLike, fetcher: Fetcher) -> tuple[bytes, str]:
    """The raw bytes of a spec and its absolute URI."""
    text = os.fspath(source)
    max_bytes = fetcher.max_bytes
    if text.startswith(("http://", "https://")):
        return fetcher.fetch(text), text
    path = Path(text).expanduser().resolve()
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SpecLoadError(f"{text}: {size:,} bytes is over the {max_bytes:,}-byte limit for a spec "
                                "(raise it with max_document_bytes=)")
        return path.read_bytes(), path.as_uri()
    except FileNotFoundError:
        raise SpecLoadError(f"{text}: no such file") from None
    except IsADirectoryError:
        raise SpecLoadError(f"{text}: is a directory, not a spec file") from None
    except OSError as exc:
        raise SpecLoadError(f"{text}: cannot be read: {exc.strerror or exc}") from None
