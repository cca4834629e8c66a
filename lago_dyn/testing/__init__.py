"""Test helpers for code that uses lago_dyn: a spec-driven local Lago server (`LocalLago`) and the
`local_lago` pytest fixture (registered automatically through the `pytest11` entry point)."""

from ..binding.examples import example
from .server import LocalLago, RecordedRequest

__all__ = ["LocalLago", "RecordedRequest", "example"]
