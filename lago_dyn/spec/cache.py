"""An on-disk cache of parsed specs, keyed by the SHA-256 of the spec's bytes.

Parsing 0.9 MB of YAML costs about 0.2 s even with the C loader; reading the same document back as JSON
costs a tenth of that. The key is the content, so an edited spec is a new entry and a stale one can never
be served. The cache is a convenience only: if it is corrupt, unreadable or unwritable, the spec is parsed
as if there were no cache, and nothing is raised.

An entry is believed only as far as the bytes on disk deserve it: whoever can write the folder decides the
`servers` the API key goes to and the `required` rules a request is checked against. So the folder must
belong to the current user and be writable by nobody else (it is created 0700), and an entry is read only
if it is a regular file of that user, not writable by others, reached without following a symlink, no
larger than `MAX_ENTRY_BYTES`, shaped like an OpenAPI document, and written by this very lago_dyn version
for these very bytes. Anything else is ignored (said at DEBUG on the `lago_dyn` logger), the spec is
parsed afresh and the entry rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable

from .. import _version as version

log = logging.getLogger("lago_dyn")

#: Bumped whenever the entry's layout changes; part of the file name, so old layouts are never opened.
FORMAT = "2"
ENV_VAR = "LAGO_DYN_CACHE_DIR"
#: An entry larger than this is not read (bytes). Lago 1.51.0's entry is about 0.7 MB.
MAX_ENTRY_BYTES = 64 * 1024 * 1024
#: Permission bits that let someone other than the owner change a file or a folder's entries.
_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


def default_dir() -> Path | None:
    """`$LAGO_DYN_CACHE_DIR`, else `$XDG_CACHE_HOME/lago_dyn`, else `~/.cache/lago_dyn`. Setting the
    variable to an empty string disables the cache."""
    configured = os.environ.get(ENV_VAR)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lago_dyn"


def parsed(data: bytes, parse: Callable[[], Any], cache_dir: str | os.PathLike | None | bool,
           *, also_keyed_on: bytes = b"") -> Any:
    """The parsed document for `data`, from the cache when a trustworthy entry is there, else from `parse()` (and then
    stored). `cache_dir=False` bypasses the cache, None means `default_dir()`. `also_keyed_on` is
    anything else the parsed form depends on (the overlays applied to it): part of the key."""
    located = _locate(data, cache_dir, also_keyed_on)
    if located is None:
        return parse()
    folder, entry, stamp = located
    if _trusted_folder(folder):
        document = _read(entry, stamp)
        if document is not None:
            return document
    document = parse()
    _store(entry, stamp, document)
    return document


def state(data: bytes, cache_dir: str | os.PathLike | None | bool, *, also_keyed_on: bytes = b"") -> Any:
    """What loading `data` would meet in the cache now: the stamp an entry must carry and the status of
    the folder and of the entry (None when the cache is not used for these bytes). While it is unchanged,
    the cache would give the document it gave before, so an in-process memo of it still holds; a
    planted, replaced, re-owned or re-moded entry or folder changes it."""
    located = _locate(data, cache_dir, also_keyed_on)
    if located is None:
        return None
    folder, entry, stamp = located
    return tuple(stamp.values()), _status(folder), _status(entry)


#: A spec in JSON: the cache would store the same JSON again, and reading it back costs what parsing the
#: spec does, so such a spec (without overlays, which the cache saves applying) is not cached.
_JSON_TEXT = re.compile(rb"\s*[{\[]")


def _locate(data: bytes, cache_dir: str | os.PathLike | None | bool,
            also_keyed_on: bytes) -> tuple[Path, Path, dict[str, str]] | None:
    """The folder, the entry and the stamp for these bytes, or None when the cache is off or gains nothing."""
    if cache_dir is False or (not also_keyed_on and _JSON_TEXT.match(data)):
        return None
    folder = default_dir() if cache_dir is None or cache_dir is True else Path(cache_dir)
    if folder is None:
        return None
    key = hashlib.sha256(data).digest()
    if also_keyed_on:
        key = hashlib.sha256(key + also_keyed_on).digest()
    digest = key.hex()
    stamp = {"format": FORMAT, "lago_dyn": _version(), "sha256": digest}
    return folder, folder / f"spec-{FORMAT}-{digest}.json", stamp


def _status(path: Path) -> tuple[int, ...] | None:
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return (status.st_dev, status.st_ino, status.st_mode, status.st_uid, status.st_size, status.st_mtime_ns,
            status.st_ctime_ns)


def _version() -> str:
    return version.__version__


def _untrusted(status: os.stat_result) -> str | None:
    """Why a file or folder with this status cannot be believed, or None when it can."""
    if status.st_uid != os.geteuid():
        return f"owned by uid {status.st_uid}, not by the current user"
    if status.st_mode & _WRITABLE_BY_OTHERS:
        return f"writable by group or others (mode {stat.S_IMODE(status.st_mode):o})"
    return None


def _trusted_folder(folder: Path) -> bool:
    try:
        status = folder.stat()
    except OSError:
        return False  # not there yet: nothing to read, _store creates it
    reason = "not a directory" if not stat.S_ISDIR(status.st_mode) else _untrusted(status)
    if reason:
        log.debug("spec cache folder %s ignored: %s", folder, reason)
        return False
    return True


def _read(entry: Path, stamp: dict[str, str]) -> Any:
    """The document stored in `entry`, or None (after saying why at DEBUG) when it cannot be trusted."""
    try:
        # O_NONBLOCK: a FIFO planted under the entry's name must not block the open.
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP: the entry is a symlink
        log.debug("spec cache entry %s ignored: cannot be opened without following links (%s)",
                  entry.name, exc.strerror or type(exc).__name__)
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(handle.fileno())
            reason = "not a regular file" if not stat.S_ISREG(status.st_mode) else _untrusted(status)
            if reason is None and status.st_size > MAX_ENTRY_BYTES:
                reason = f"{status.st_size:,} bytes is over the {MAX_ENTRY_BYTES:,}-byte limit"
            if reason is None:
                raw = handle.read(MAX_ENTRY_BYTES + 1)
                reason = f"over the {MAX_ENTRY_BYTES:,}-byte limit" if len(raw) > MAX_ENTRY_BYTES else None
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror or type(exc).__name__})"
    if reason is None:
        content = _decoded(raw)
        reason = _wrong_content(content, stamp)
    if reason:
        log.debug("spec cache entry %s ignored: %s", entry.name, reason)
        return None
    return content["document"]


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _wrong_content(content: Any, stamp: dict[str, str]) -> str | None:
    """Why decoded entry content is not this version's entry for these bytes, or None when it is."""
    if not isinstance(content, dict) or "document" not in content:
        return "not a lago_dyn cache entry"
    for key, expected in stamp.items():
        if content.get(key) != expected:
            return f"its {key} is {content.get(key)!r}, not {expected!r}"
    if not looks_like_openapi(content["document"]):
        return "its document does not have the shape of an OpenAPI document"
    return None


def looks_like_openapi(document: Any) -> bool:
    """A JSON object with an `openapi` string and a `paths` or `webhooks` mapping: the least a spec is.
    `[]` and `{}` are JSON, not specs."""
    if not isinstance(document, dict) or not isinstance(document.get("openapi"), str):
        return False
    sections = [document.get(name) for name in ("paths", "webhooks") if name in document]
    return bool(sections) and all(isinstance(section, dict) for section in sections)


def _store(entry: Path, stamp: dict[str, str], document: Any) -> None:
    if not looks_like_openapi(document):
        return  # the loader reports what is wrong with it; a cache of it would only hide that
    try:
        text = json.dumps({**stamp, "document": document}, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return  # not JSON data (a YAML-only value): such a spec is simply not cached
    if len(text) > MAX_ENTRY_BYTES:
        return  # it would never be read back
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted_folder(entry.parent):
            return
        # Written beside the entry (mkstemp makes it 0600) and renamed over it, so a reader never sees
        # half a file, and a symlink or a foreign file under the entry's name is replaced, not followed.
        import tempfile  # only to write an entry (it imports shutil and the compression modules)

        fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, entry)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass
