"""OpenAPI Overlays: repeatable, reviewable fixes to a spec someone else publishes.

An overlay (Overlay Specification 1.0) is a list of `actions`, each with a JSONPath `target` (RFC 9535,
evaluated by `jsonpath-rfc9535`, which follows the RFC strictly, so an overlay written for lago_dyn works
in other overlay tools too) and either `update` (merged into every node the target selects) or
`remove: true` (every selected node is deleted from its object or array). Actions run in order, each on
the result of the previous one.

Merging follows the rules Overlay 1.1 spelled out for 1.0's "recursively merged": objects merge key by
key, an array takes the update's items appended (an array targeted directly takes a non-array update as
one more item), a primitive replaces a primitive; any other pairing is an error, not a guess. `remove`
also takes primitive array items (`required[?@ == 'balance']`), as Overlay 1.1 allows.

A target that selects nothing is an error naming the action: it almost always means a typo, or a spec
that has changed under the overlay, and a fix that silently stops applying is the worst kind of bug.
The one documented exception is for overlays written for several releases of a spec: an action with
`x-lago-dyn-must-match-in: [1.21.0, ...]` must match in those releases (`info.version`), and elsewhere
is skipped with a log line when it matches nothing (the defect is not in that release).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Iterable, Sequence, Union

from ..errors import SpecError, SpecLoadError
from .source import Fetcher, parse_bytes, read_source

log = logging.getLogger("lago_dyn")

OverlaySource = Union[str, os.PathLike, Mapping[str, Any], "Overlay"]

#: Overlays that ship with lago_dyn, usable by name (`overlays=["lago-fixes"]`).
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "lago" / "overlays"  # data shipped with the Lago package
#: The releases (`info.version`) in which an action's target must match; see the module docstring.
MUST_MATCH_IN = "x-lago-dyn-must-match-in"
#: Part of the spec cache's key: bumped whenever applying the same overlay could give another document.
SEMANTICS = "1"

_VERSION = re.compile(r"1\.[01]\.\d+")
_ACTION_FIELDS = {"target", "description", "update", "remove"}
_MAX_OVERLAY_BYTES = 4 * 1024 * 1024
_ABSENT = object()


@dataclass(frozen=True)
class Action:
    """One step of an overlay, with where it came from for messages."""

    number: int  # 1-based, as a reader counts them
    target: str
    description: str
    update: Any  # _ABSENT when the action has none
    remove: bool
    must_match_in: tuple[str, ...] | None
    overlay: str  # the overlay's title and source

    @property
    def label(self) -> str:
        summary = self.description.strip().splitlines()[0] if self.description.strip() else self.target
        if len(summary) > 80:
            summary = summary[:79] + "…"
        return f"overlay {self.overlay}, action {self.number} ({summary})"


@dataclass(frozen=True)
class Overlay:
    """A loaded, shape-checked overlay document."""

    title: str
    version: str
    actions: tuple[Action, ...]
    origin: str
    #: The overlay's content in canonical JSON: what the spec cache keys on.
    canonical: bytes


def shipped() -> list[str]:
    """The names of the overlays lago_dyn ships."""
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))


def load(source: OverlaySource, fetcher: Fetcher | None = None) -> Overlay:
    """An overlay from a dict, a path (YAML or JSON), a URL (fetched with `fetcher`'s transport), or the
    name of a shipped overlay."""
    if isinstance(source, Overlay):
        return source
    if isinstance(source, Mapping):
        return _checked(source, "(given as a mapping)")
    if not isinstance(source, (str, os.PathLike)):
        raise SpecLoadError(f"an overlay is a path, a shipped name or a dict, not {type(source).__name__}")
    text = os.fspath(source)
    shipped_path = SHIPPED_DIR / f"{text}.yaml"
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", text) and shipped_path.is_file():
        path: str | os.PathLike = shipped_path
    elif Path(text).expanduser().exists() or text.startswith(("http://", "https://")):
        path = text
    else:
        from ..suggest import did_you_mean

        raise SpecLoadError(f"overlay {text!r}: no such file, and not a shipped overlay "
                            f"({', '.join(shipped()) or 'none'}){did_you_mean(text, shipped())}")
    settings = fetcher or Fetcher()
    data, _ = read_source(path, replace(settings, timeout=10.0, max_bytes=_MAX_OVERLAY_BYTES))
    return _checked(parse_bytes(data, text), text)


def load_all(sources: Iterable[OverlaySource] | None, fetcher: Fetcher | None = None) -> list[Overlay]:
    if sources is None:
        return []
    if isinstance(sources, (str, os.PathLike, Mapping, Overlay)):
        raise SpecLoadError("overlays= takes a list of overlays, e.g. overlays=['lago-fixes']")
    return [load(source, fetcher) for source in sources]


def fingerprint(overlays: Sequence[Overlay]) -> bytes:
    """What identifies the result of applying these overlays, in order: for the spec cache's key."""
    if not overlays:
        return b""
    digest = hashlib.sha256(f"overlay-semantics-{SEMANTICS}".encode())
    for overlay in overlays:
        digest.update(hashlib.sha256(overlay.canonical).digest())
    return digest.digest()


def apply(document: Any, overlays: Iterable[OverlaySource]) -> Any:
    """Apply overlays to a parsed document, in place, in order; returns the document.

    Raises SpecError naming the action when a target is not valid JSONPath, selects nothing (see the
    module docstring for `x-lago-dyn-must-match-in`), or asks for a merge the rules do not allow."""
    loaded = load_all(overlays)
    release = str((document.get("info") or {}).get("version", "")) if isinstance(document, dict) else ""
    for overlay in loaded:
        for action in overlay.actions:
            _run(document, action, release)
    return document


def write(document: Any, destination: str | os.PathLike) -> None:
    """Write a (patched) document: JSON for a `.json` file, YAML otherwise."""
    path = Path(destination)
    if path.suffix.lower() == ".json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        import yaml

        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    path.write_text(text, encoding="utf-8")


# -- shape -----------------------------------------------------------------------------------------


def _checked(raw: Any, origin: str) -> Overlay:
    """The overlay as data we can trust, or a SpecLoadError saying which field is wrong and why."""

    def fail(where: str, problem: str) -> SpecLoadError:
        return SpecLoadError(f"overlay {origin}: {where}: {problem}")

    if not isinstance(raw, Mapping):
        raise fail("top level", f"must be a mapping, got {type(raw).__name__}")
    version = raw.get("overlay")
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise fail("overlay", "must be the Overlay Specification version as a string, e.g. '1.0.0'")
    info = raw.get("info")
    if not isinstance(info, Mapping) or not all(isinstance(info.get(key), str) for key in ("title", "version")):
        raise fail("info", "must be a mapping with a string 'title' and 'version'")
    _only_known_fields(raw, {"overlay", "info", "extends", "actions"}, "top level", fail)
    actions = raw.get("actions")
    if not isinstance(actions, list) or not actions:
        raise fail("actions", "must be a non-empty list")
    label = repr(info["title"]) if origin == info["title"] else f"{info['title']!r} ({origin})"
    return Overlay(
        title=str(info["title"]), version=version, origin=origin,
        actions=tuple(_checked_action(item, number, label, fail) for number, item in enumerate(actions, 1)),
        canonical=json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str).encode(),
    )


def _checked_action(raw: Any, number: int, overlay: str, fail: Any) -> Action:
    where = f"actions[{number - 1}]"
    if not isinstance(raw, Mapping):
        raise fail(where, f"must be a mapping, got {type(raw).__name__}")
    if "copy" in raw:
        raise fail(f"{where}.copy", "copy actions (Overlay 1.1) are not supported; use update")
    _only_known_fields(raw, _ACTION_FIELDS, where, fail)
    target = raw.get("target")
    if not isinstance(target, str) or not target.startswith("$"):
        raise fail(f"{where}.target", "must be a JSONPath query string starting with '$'")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail(f"{where}.description", "must be a string")
    remove = raw.get("remove", False)
    if not isinstance(remove, bool):
        raise fail(f"{where}.remove", f"must be true or false, got {type(remove).__name__}")
    if not remove and "update" not in raw:
        raise fail(where, "has neither 'update' nor 'remove: true', so it would do nothing")
    releases = raw.get(MUST_MATCH_IN)
    if releases is not None and (not isinstance(releases, list) or not all(isinstance(r, str) for r in releases)):
        raise fail(f"{where}.{MUST_MATCH_IN}", "must be a list of release strings, e.g. ['1.21.0']")
    return Action(number=number, target=target, description=description, update=raw.get("update", _ABSENT),
                  remove=remove, must_match_in=tuple(releases) if releases is not None else None, overlay=overlay)


def _only_known_fields(raw: Mapping[str, Any], known: set[str], where: str, fail: Any) -> None:
    unknown = sorted(str(key) for key in raw if key not in known and not str(key).startswith("x-"))
    if unknown:
        raise fail(where, f"unknown field(s) {', '.join(map(repr, unknown))} (extensions start with 'x-')")


# -- applying --------------------------------------------------------------------------------------


def _run(document: Any, action: Action, release: str) -> None:
    import jsonpath_rfc9535 as jsonpath

    try:
        query = jsonpath.compile(action.target)
    except jsonpath.JSONPathError as exc:
        token = getattr(exc, "token", None)
        near = f" (near character {token.index + 1})" if isinstance(getattr(token, "index", None), int) else ""
        raise SpecError(f"{action.label}: target {action.target!r} is not a valid RFC 9535 JSONPath query{near}") \
            from None
    nodes = query.find(document)
    if not nodes:
        if action.must_match_in is not None and release not in action.must_match_in:
            log.info("%s: skipped: its target matches nothing in release %r (it must match only in %s)",
                     action.label, release, ", ".join(action.must_match_in))
            return
        raise SpecError(f"{action.label}: target {action.target!r} matches nothing in this document"
                        + (f" (release {release})" if release else ""))
    if action.remove:
        # Deepest and last first, so removing one array item never shifts another selected one.
        for node in sorted(nodes, key=lambda n: n.location, reverse=True):
            _remove(document, node.location, action)
        return
    for node in nodes:
        _update(document, node, action)


def _container(document: Any, location: tuple[Any, ...]) -> Any:
    parent = document
    for key in location[:-1]:
        parent = parent[key]
    return parent


def _remove(document: Any, location: tuple[Any, ...], action: Action) -> None:
    if not location:
        raise SpecError(f"{action.label}: cannot remove the document's root")
    del _container(document, location)[location[-1]]


def _update(document: Any, node: Any, action: Action) -> None:
    current = node.value
    if isinstance(current, list):
        update = copy.deepcopy(action.update)
        current.extend(update) if isinstance(update, list) else current.append(update)
    elif isinstance(current, dict):
        _merge(current, action.update, action, node.path())
    elif isinstance(action.update, (dict, list)) or not node.location:
        raise SpecError(f"{action.label}: cannot merge {_kind(action.update)} into {_kind(current)} "
                        f"at {node.path()}")
    else:
        _container(document, node.location)[node.location[-1]] = action.update


def _merge(target: dict[str, Any], update: Any, action: Action, where: str) -> None:
    """Overlay merge rules: objects recursively, arrays appended, primitives replaced."""
    if not isinstance(update, dict):
        raise SpecError(f"{action.label}: cannot merge {_kind(update)} into an object at {where}")
    for key, value in update.items():
        here = f"{where}[{key!r}]"
        if key not in target:
            target[key] = copy.deepcopy(value)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge(target[key], value, action, here)
        elif isinstance(target[key], list) and isinstance(value, list):
            target[key].extend(copy.deepcopy(value))
        elif not isinstance(target[key], (dict, list)) and not isinstance(value, (dict, list)):
            target[key] = value
        else:
            raise SpecError(f"{action.label}: cannot merge {_kind(value)} into {_kind(target[key])} at {here}")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "null" if value is None else "a primitive value"
