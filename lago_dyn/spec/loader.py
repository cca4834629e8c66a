"""Loading an OpenAPI document from a path, an http(s) URL or a dict: its bytes (`source.py`), the
overlays applied, 3.1's leftover `nullable`s given their meaning, the documents its `$ref`s point to.

Parsing a big spec is the largest part of a cold start, so the bytes are parsed once per content: the
parsed document is kept in an on-disk cache keyed by the SHA-256 of the bytes (see `cache.py`) and, in
one process, in a small memo.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Sequence, Union

from . import cache, dialects, walk
from ..errors import SpecError, SpecLoadError
from .source import DEFAULT_LOAD_TIMEOUT, DEFAULT_MAX_SPEC_BYTES, Fetcher, TransportFactory, parse_bytes, read_source

if TYPE_CHECKING:
    from .overlay import OverlaySource

SpecSource = Union[str, os.PathLike, Mapping[str, Any]]




#: A `$ref` whose value does not start with "#". It starts with a literal, so the regex engine skips
#: ahead with a fast substring search: 5 ms on GitHub's 13 MB spec, where a leading optional quote
#: made it try every position (280 ms).
_EXTERNAL_REF = re.compile(rb"""\$ref["']?\s*:\s*["']?(?!#)[^\s"']""")


@dataclass(eq=False)
class LoadedDocument:
    """A parsed document and the URI that its relative `$ref`s resolve against: where it was read from,
    or the URI it gives itself in OpenAPI 3.2's `$self` (resolved against where it was read from)."""

    root: dict[str, Any]
    base_uri: str
    #: Other documents this one refers to, by absolute URI (files beside the spec).
    externals: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Where the document was read from, when its `$self` names another URI.
    retrieval_uri: str = ""

    #: The `Spec`s made from this document, by how duplicate operationIds are treated (see
    #: `client.load_spec`): memoized with it, so a second load of the same content in this process reuses
    #: the operations read and the validators compiled.
    specs: dict[str, Any] = field(default_factory=dict, repr=False)

    def location_of(self, uri: str) -> str:
        """Where to read a document the spec refers to: a URI under the folder of the spec's `$self` is
        read from the same place under the folder the spec was read from (the documents were published
        together), so a spec naming itself `https://example.com/api/openapi` works from a local copy."""
        if not self.retrieval_uri:
            return uri
        self_folder, read_folder = self.base_uri.rsplit("/", 1)[0] + "/", self.retrieval_uri.rsplit("/", 1)[0] + "/"
        return read_folder + uri[len(self_folder):] if uri.startswith(self_folder) else uri


def with_self(root: dict[str, Any], retrieval_uri: str) -> LoadedDocument:
    """The document's LoadedDocument, its base URI taken from 3.2's `$self` when it declares one."""
    from urllib.parse import urldefrag, urljoin

    declared = root.get("$self")
    if not isinstance(declared, str) or not declared:
        return LoadedDocument(root=root, base_uri=retrieval_uri)
    own = urldefrag(urljoin(retrieval_uri, declared))[0]
    return LoadedDocument(root=root, base_uri=own, retrieval_uri=retrieval_uri if own != retrieval_uri else "")


#: How many recently loaded documents a process keeps (see `_recall`); each holds its parsed spec.
MEMO_SIZE = 8
_memo: "OrderedDict[tuple, tuple[Any, LoadedDocument]]" = OrderedDict()
_memo_lock = threading.Lock()


def _overlays(sources: Sequence[Any] | None, fetcher: Fetcher) -> tuple[list[Any], bytes]:
    """The overlays loaded, and their fingerprint for the cache key. The overlay module (and its JSONPath
    engine) is imported only for a load that names some."""
    if sources is None:
        return [], b""
    from . import overlay

    patches = overlay.load_all(sources, fetcher)
    return patches, overlay.fingerprint(patches)


def _parse_spec(data: bytes, origin: str, overlays: list | None = None) -> Any:
    """Parse, apply the overlays (before anything reads the document), then give 3.1's leftover
    `nullable`s their meaning (see dialects.py); all three are cached."""
    document = parse_bytes(data, origin)
    if overlays:
        from . import overlay

        overlay.apply(document, overlays)
    if dialects.rewrites_nullable_at_load(document) and (b"nullable" in data or overlays):
        dialects.without_nullable(document)
    return document


def load_document(
    source: SpecSource,
    *,
    timeout: float = DEFAULT_LOAD_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_SPEC_BYTES,
    cache_dir: str | os.PathLike | None | bool = None,
    allow_remote_refs: bool = False,
    ref_root: str | os.PathLike | None = None,
    base_uri: str | None = None,
    session: Any = None,
    verify: Any = True,
    overlays: Sequence[OverlaySource] | None = None,
    open_transport: TransportFactory | None = None,
) -> LoadedDocument:
    """Load a spec and the documents its `$ref`s point to. `cache_dir=False` disables the disk cache;
    None uses the default location (see `cache.default_dir`). `$ref`s may leave the spec's folder only to
    files under `ref_root`; a dict's relative `$ref`s resolve against `base_uri` (a folder path or URI).
    `overlays` (paths, dicts or shipped names like "lago-fixes") are applied in order to the spec's own
    document, right after parsing. URLs (the spec's, an overlay's, a remote `$ref`'s) are fetched with
    a transport from `open_transport` (`Client` and `load_spec` give theirs)."""
    fetcher = Fetcher(timeout, max_bytes, session, verify, open_transport)
    root_folder = Path(ref_root).expanduser().resolve() if ref_root is not None else None
    patches, fingerprint = _overlays(overlays, fetcher)
    if isinstance(source, Mapping):
        root = source if isinstance(source, dict) else dict(source)
        if walk.has_non_string_keys(root):  # a dict from yaml.safe_load: `200:` became the integer 200
            root = copy.deepcopy(root)  # never change the caller's dict
            walk.string_keys(root)
        if patches:
            from . import overlay

            root = overlay.apply(copy.deepcopy(root), patches)  # never change the caller's dict
        if dialects.rewrites_nullable_at_load(root) and dialects.has_nullable(root):
            root = dialects.without_nullable(root, copy_first=True)  # never change the caller's dict
        loaded = with_self(root, _dict_base_uri(base_uri))
        _load_external_refs(loaded, fetcher, allow_remote=allow_remote_refs, ref_root=root_folder)
        return loaded
    if not isinstance(source, (str, os.PathLike)):
        raise SpecLoadError(f"a spec is a path, an http(s) URL or a dict, not {type(source).__name__}")
    data, uri = read_source(source, fetcher)
    memo_key = None if cache_dir is False else (
        hashlib.sha256(data).digest(), fingerprint, uri, root_folder, allow_remote_refs)
    known = _recall(memo_key, data, cache_dir, fingerprint)
    if known is not None:
        return known
    root = cache.parsed(data, lambda: _parse_spec(data, os.fspath(source), patches), cache_dir,
                        also_keyed_on=fingerprint)
    if not isinstance(root, dict):
        raise SpecError(f"{os.fspath(source)}: is not an OpenAPI document (its top level is not a mapping)")
    loaded = with_self(root, uri)
    if _EXTERNAL_REF.search(data):
        _load_external_refs(loaded, fetcher, allow_remote=allow_remote_refs, ref_root=root_folder)
    if memo_key is not None and not loaded.externals:  # other files may change while these bytes do not
        with _memo_lock:
            _memo[memo_key] = (cache.state(data, cache_dir, also_keyed_on=fingerprint), loaded)
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
    return loaded


def _recall(memo_key: tuple | None, data: bytes, cache_dir: Any, fingerprint: bytes) -> LoadedDocument | None:
    """The document this process loaded last time from the same bytes, overlays, place and options, as
    long as the disk cache would still give the same (see `cache.state`: a planted or re-moded entry is
    read afresh, by the cache's own rules). `cache_dir=False` asks for nothing cached, here either."""
    if memo_key is None:
        return None
    with _memo_lock:
        known = _memo.get(memo_key)
        if known is not None:
            _memo.move_to_end(memo_key)
    if known is None or known[0] != cache.state(data, cache_dir, also_keyed_on=fingerprint):
        return None
    return known[1]


def _dict_base_uri(base_uri: str | None) -> str:
    """Where a dict spec's relative `$ref`s point from: a URI as given, a folder as a file URI inside it."""
    if base_uri is None:
        return "urn:lago-dyn:spec"
    if "://" in base_uri or base_uri.startswith("urn:"):
        return base_uri
    path = Path(base_uri).expanduser().resolve()
    return (path / "openapi.yaml").as_uri() if path.is_dir() else path.as_uri()


def _load_external_refs(loaded: LoadedDocument, fetcher: Fetcher, *, allow_remote: bool,
                        ref_root: Path | None) -> None:
    """Load every document reachable through `$ref`s that leave the spec: files in the spec's own folder
    (or below it, or below `ref_root` when the user named one), and URLs only when remote refs are allowed."""
    from urllib.parse import urldefrag, urljoin, urlparse
    from urllib.request import url2pathname

    pending = [(loaded.root, loaded.base_uri)]
    seen = {loaded.base_uri}
    spec_dir = _folder_of(loaded.retrieval_uri or loaded.base_uri)
    while pending:
        document, base = pending.pop()
        for ref in _external_refs(document):
            target = urldefrag(urljoin(base, ref))[0]
            if target in seen:
                continue
            seen.add(target)
            location = loaded.location_of(target)
            scheme = urlparse(location).scheme
            if scheme in ("http", "https"):
                if not allow_remote:
                    raise SpecError(
                        f"$ref {ref!r} points to a remote document; pass allow_remote_refs=True to allow it"
                    )
                raw, _ = read_source(location, fetcher)
            elif scheme == "file" and spec_dir is not None:
                path = Path(url2pathname(urlparse(location).path)).resolve()
                allowed = [folder for folder in (spec_dir, ref_root) if folder is not None]
                if not any(folder == path or folder in path.parents for folder in allowed):
                    hint = (f" and ref_root ({ref_root})" if ref_root is not None else "")
                    advice = "" if ref_root is not None else " (ref_root=FOLDER allows files under FOLDER)"
                    raise SpecError(f"$ref {ref!r} leaves the spec's folder ({spec_dir}){hint}; "
                                    f"refusing to read it{advice}")
                raw, _ = read_source(path, fetcher)
            else:
                raise SpecError(f"$ref {ref!r} cannot be resolved from {base}")
            parsed = parse_bytes(raw, target)
            if dialects.rewrites_nullable_at_load(loaded.root) and b"nullable" in raw:
                dialects.without_nullable(parsed)
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
