"""An MkDocs hook: every object the API reference names with `::: path` must have a docstring.

mkdocstrings renders an undocumented object as a bare heading without a word of warning; this hook
turns that into a warning, which `mkdocs build --strict` makes an error."""

import importlib
import logging
import re

log = logging.getLogger("mkdocs.plugins.docstrings")
_DIRECTIVE = re.compile(r"^:::\s+([\w.]+)", re.MULTILINE)


def on_page_markdown(markdown, page, config, files):
    for path in _DIRECTIVE.findall(markdown):
        if not (getattr(_resolve(path), "__doc__", None) or "").strip():
            log.warning("%s: %s has no docstring", page.file.src_path, path)
    return markdown


def _resolve(path):
    """`lago_dyn.Client.close`: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ImportError(path)
