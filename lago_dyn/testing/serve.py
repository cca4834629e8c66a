"""LocalLago from the shell (`lago-dyn serve`), for billing code written in Node, Go or Ruby, or a
docker-compose service: customers preloaded from a file, every request received written as a JSON line
(credentials redacted), and a clean stop on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..spec.model import Spec
from .server import LocalLago

REDACTED = "[redacted]"
#: Headers that carry credentials whatever the spec says.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


class RecordingLago(LocalLago):
    """A LocalLago that also writes each request it answers to `record` as one JSON line: method, path,
    query, headers, body, the operation it matched and the status it answered. Credential headers and
    API-key query parameters are replaced by `[redacted]`."""

    def __init__(self, *args: Any, record: IO[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.record = record
        self._secret_headers, self._secret_query = credential_names(self.spec)
        self._record_lock = threading.Lock()

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        answer = super().handle(method, target, headers, body)
        if self.record is not None:
            self._write(method, target, headers, body, answer[0])
        return answer

    def _write(self, method: str, target: str, headers: dict[str, str], body: bytes, status: int) -> None:
        parts = urlsplit(target)
        match = self._route(method, parts.path)
        entry: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": method,
            "path": parts.path,
            "query": urlencode([(key, REDACTED if key in self._secret_query else value)
                                for key, value in parse_qsl(parts.query, keep_blank_values=True)]),
            "headers": {key: REDACTED if key.lower() in self._secret_headers else value for key, value in headers.items()},
            "operation": match[0].operation.name if match else None,
            "status": status,
        }
        entry.update(_body_entry(body))
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._record_lock:
            self.record.write(line)  # type: ignore[union-attr]
            self.record.flush()  # type: ignore[union-attr]


def credential_names(spec: Spec) -> tuple[frozenset[str], frozenset[str]]:
    """Header names (lower-cased) and query parameter names that carry credentials in this spec."""
    headers, query = set(CREDENTIAL_HEADERS), set()
    schemes = (spec.root.get("components") or {}).get("securitySchemes") or {}
    for scheme in schemes.values():
        if isinstance(scheme, dict) and scheme.get("type") == "apiKey" and isinstance(scheme.get("name"), str):
            if scheme.get("in") == "header":
                headers.add(scheme["name"].lower())
            elif scheme.get("in") == "query":
                query.add(scheme["name"])
    return frozenset(headers), frozenset(query)


def _body_entry(body: bytes) -> dict[str, Any]:
    if not body:
        return {"body": None}
    try:
        return {"body": json.loads(body)}
    except ValueError:
        return {"body_text": body.decode("utf-8", "replace")}


def read_seed(path: str) -> list[dict[str, Any]]:
    """The customers of a `--seed` file: a JSON list of objects shaped like create_customer's
    `customer` (at least `external_id`)."""
    customers = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(customers, list) or not all(isinstance(c, dict) for c in customers):
        raise ValueError(f"--seed {path}: expected a JSON list of customer objects, got {type(customers).__name__}")
    return customers


def seed(lago: LocalLago, customers: list[dict[str, Any]]) -> None:
    """Create `customers` through lago's own API, so each is checked against the spec like any request."""
    from ..client import Client
    from ..errors import LagoDynError

    if customers and "create_customer" not in lago.spec.operations:
        raise ValueError("--seed: this spec has no create_customer operation to preload customers with")
    with Client(lago.spec, base_url=lago.base_url, api_key=lago.api_key or "seed") as client:
        for index, customer in enumerate(customers):
            try:
                client.create_customer({"customer": customer})
            except LagoDynError as exc:
                raise ValueError(f"--seed: customer #{index + 1}: {exc}") from None
    lago.requests.clear()  # seeding is set-up, not traffic (nobody else knows the address yet)


def serve(spec: Spec, *, host: str = "127.0.0.1", port: int = 0, seed_file: str | None = None,
          record_file: str | None = None, out: IO[str] = sys.stdout, api_key: str | None = None) -> int:
    """Run a LocalLago until SIGINT or SIGTERM; print its base URL (alone on a line) once it listens.
    With `api_key`, any other key is answered 401 as Lago answers it."""
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    customers = read_seed(seed_file) if seed_file else []
    record = open(record_file, "a", encoding="utf-8") if record_file else None
    try:
        with RecordingLago(spec, host=host, port=port, api_key=api_key) as lago:
            seed(lago, customers)
            lago.record = record
            print(lago.base_url, file=out, flush=True)
            stateless = len(lago.stateless_operations())
            print(f"LocalLago: {spec.title}, {len(spec.operations)} operations ({len(spec.operations) - stateless} "
                  f"stateful), {len(customers)} customers preloaded; Ctrl-C or SIGTERM stops it",
                  file=sys.stderr, flush=True)
            stop.wait()
    finally:
        if record is not None:
            record.close()
    return 0
