"""Webhooks LocalLago sends: signed as Lago signs them, posted from one background thread so the API never
waits on a receiver, and retried when the receiver fails (Lago: LAGO_WEBHOOK_ATTEMPTS, 3 by default,
app/services/webhooks/base_service.rb), with a short wait between attempts so tests stay fast."""

from __future__ import annotations

import http.client
import json
import queue
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..lago.signatures import HMAC, signed_headers


@dataclass
class Delivery:
    """One webhook: what was sent where, and how each attempt went (HTTP status, or the error's name)."""

    webhook_type: str
    url: str
    body: bytes
    headers: dict[str, str]
    attempts: list[Any] = field(default_factory=list)
    delivered: bool = False

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookSender:
    def __init__(self, *, attempts: int = 3, retry_wait: float = 0.05, timeout: float = 5.0):
        self.attempts = attempts
        self.retry_wait = retry_wait
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def send(self, url: str, payload: dict[str, Any], algorithm: str, *, hmac_key: str | bytes | None,
             private_key: Any, issuer: str | None) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json",
                   **signed_headers(body, algorithm if algorithm in (HMAC, "jwt") else "jwt", hmac_key=hmac_key,
                                    private_key=private_key, issuer=issuer, unique_key=str(uuid.uuid4()))}
        delivery = Delivery(str(payload.get("webhook_type")), url, body, headers)
        with self._idle:
            self.deliveries.append(delivery)
            self._pending += 1
        self._ensure_thread()
        self._queue.put(delivery)
        return delivery

    def _ensure_thread(self) -> None:
        with self._idle:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="LocalLago-webhooks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                for attempt in range(self.attempts):
                    if attempt and self._stop.wait(self.retry_wait * (2 ** (attempt - 1))):
                        break
                    outcome = self._post(delivery)
                    delivery.attempts.append(outcome)
                    if isinstance(outcome, int) and 200 <= outcome < 300:
                        delivery.delivered = True
                        break
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _post(self, delivery: Delivery) -> Any:
        parts = urlsplit(delivery.url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
        try:
            connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                               body=delivery.body, headers=delivery.headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException) as failure:
            return type(failure).__name__
        finally:
            connection.close()

    def wait(self, timeout: float = 10.0) -> bool:
        """Until every webhook queued so far was delivered or given up; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=2)
        self._thread = None
