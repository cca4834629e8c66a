"""Closest names, for "did you mean" hints: a misspelt overlay name, result field, body key or enum value.

One place, so every hint in lago_dyn reads the same and uses the same notion of "close" (difflib's ratio,
which catches typos and transpositions: `nmae` -> `name`, `eur` -> `EUR`).
"""

from __future__ import annotations

from typing import Any, Iterable


def closest(name: str, candidates: Iterable[Any], n: int = 1) -> list[str]:
    """Up to `n` candidates close to `name`, closest first; case is ignored when comparing."""
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(str(candidate).casefold(), str(candidate))
    import difflib  # only when a name is wrong

    matches = difflib.get_close_matches(str(name).casefold(), list(by_folded), n=n, cutoff=0.6)
    return [by_folded[match] for match in matches]


def did_you_mean(name: str, candidates: Iterable[Any]) -> str:
    """`; did you mean 'name'?` when something is close, else an empty string."""
    found = closest(name, candidates)
    return f"; did you mean {found[0]!r}?" if found else ""
