"""Stateful LocalLago throughput (issue 23): `create_event` one by one and `create_batch_events` in batches
of 100, against the real 1.51.0 spec, every request validated and every event stored, deduplicated and
counted (current usage is checked at the end). LocalLago runs in its own process (`lago-dyn serve`), the
load comes from plain `requests` sessions on keep-alive connections, so the numbers are the server's.

    .venv/bin/python benchmarks/local_lago_events.py [--events 3000] [--batches 200] [--clients 2]

Targets (on 2 cores): 1,000 events/s one by one, 20,000 events/s in batches of 100. Exits 1 if missed.
A second table measures LocalLago's own work per event (`LocalLago.handle` called in process, CPU time:
routing, validation, storing, the answer's JSON), which no HTTP stack or machine load can hide; the
difference between the two tables is http.server and the client.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "specs" / "lago-1.51.0.yaml"
KEY = "bench-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
TARGETS = {"create_event": 1000.0, "create_batch_events": 20000.0}


def set_up(base: str) -> None:
    session = requests.Session()
    session.post(f"{base}/billable_metrics", headers=AUTH, json={"billable_metric": {
        "name": "Calls", "code": "calls", "aggregation_type": "count_agg"}}).raise_for_status()
    metric = session.get(f"{base}/billable_metrics/calls", headers=AUTH).json()["billable_metric"]
    session.post(f"{base}/plans", headers=AUTH, json={"plan": {
        "name": "Bench", "code": "bench", "interval": "monthly", "amount_cents": 0, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                              "properties": {"amount": "0.01"}}]}}).raise_for_status()
    session.post(f"{base}/subscriptions", headers=AUTH, json={"subscription": {
        "external_customer_id": "bench", "plan_code": "bench", "external_id": "sub-bench"}}).raise_for_status()


def run_clients(clients: int, work: list[list[dict]], path: str, wrap: str) -> float:
    """Seconds for `clients` threads to send their share of `work` (one request per item)."""
    errors: list[str] = []

    def client(items: list[dict]) -> None:
        session = requests.Session()
        for item in items:
            answer = session.post(path, headers=AUTH, json={wrap: item})
            if answer.status_code != 200:
                errors.append(f"{answer.status_code} {answer.text[:200]}")

    shares = [work[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return elapsed


def in_process(events: int, batches: int) -> dict[str, float]:
    """Events per CPU second through `LocalLago.handle`, without sockets."""
    import json

    import lago_dyn
    from lago_dyn.testing import LocalLago

    lago = LocalLago(lago_dyn.load_spec(SPEC))
    headers = {**AUTH, "Content-Type": "application/json"}

    def post(path: str, body: dict) -> None:
        status, _, answer = lago.handle("POST", "/api/v1" + path, headers, json.dumps(body).encode())
        assert status == 200, answer

    post("/billable_metrics", {"billable_metric": {"name": "C", "code": "calls", "aggregation_type": "count_agg"}})
    post("/plans", {"plan": {"name": "B", "code": "b", "interval": "monthly", "amount_cents": 0,
                             "amount_currency": "EUR", "pay_in_advance": False}})
    post("/subscriptions", {"subscription": {"external_customer_id": "c", "plan_code": "b", "external_id": "s"}})
    post("/events", {"event": {"transaction_id": "warm", "external_subscription_id": "s", "code": "calls"}})
    post("/events/batch", {"events": [{"transaction_id": "warm-b", "external_subscription_id": "s", "code": "calls"}]})
    singles = [json.dumps({"event": {"transaction_id": f"t{i}", "external_subscription_id": "s", "code": "calls"}}).encode()
               for i in range(events)]
    started = time.process_time()
    for body in singles:
        lago.handle("POST", "/api/v1/events", headers, body)
    single = events / (time.process_time() - started)
    grouped = [json.dumps({"events": [{"transaction_id": f"b{k}-{i}", "external_subscription_id": "s", "code": "calls"}
                                      for i in range(100)]}).encode() for k in range(batches)]
    started = time.process_time()
    for body in grouped:
        lago.handle("POST", "/api/v1/events/batch", headers, body)
    return {"create_event": single, "create_batch_events": 100 * batches / (time.process_time() - started)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000, help="events sent one by one")
    parser.add_argument("--batches", type=int, default=200, help="batches of 100 events")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client connections")
    args = parser.parse_args()
    own = in_process(args.events, args.batches)  # first: a process that has not made thousands of HTTP calls
    server = subprocess.Popen([sys.executable, "-m", "lago_dyn", "serve", "--spec", str(SPEC), "--api-key", KEY],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        base = server.stdout.readline().strip()  # type: ignore[union-attr]
        set_up(base)
        singles = [{"transaction_id": f"one-{i}", "external_subscription_id": "sub-bench", "code": "calls"}
                   for i in range(args.events)]
        single_seconds = run_clients(args.clients, singles, f"{base}/events", "event")
        batches = [[{"transaction_id": f"b{b}-{i}", "external_subscription_id": "sub-bench", "code": "calls"}
                    for i in range(100)] for b in range(args.batches)]
        batch_work = [{"events": batch} for batch in batches]
        batch_seconds = run_clients(args.clients, [b["events"] for b in batch_work], f"{base}/events/batch", "events")
        usage = requests.get(f"{base}/customers/bench/current_usage", params={"external_subscription_id": "sub-bench"},
                             headers=AUTH).json()["customer_usage"]
        counted = usage["charges_usage"][0]["events_count"]
        expected = args.events + 100 * args.batches
        rates = {"create_event": args.events / single_seconds, "create_batch_events": 100 * args.batches / batch_seconds}
        print(f"LocalLago, lago-1.51.0.yaml, {args.clients} client connections, Python {sys.version.split()[0]}")
        print(f"{'operation':<22}{'events':>9}{'seconds':>9}{'events/s':>11}{'target':>9}")
        for name, count, seconds in (("create_event", args.events, single_seconds),
                                     ("create_batch_events", 100 * args.batches, batch_seconds)):
            print(f"{name:<22}{count:>9}{seconds:>9.2f}{rates[name]:>11,.0f}{TARGETS[name]:>9,.0f}")
        print(f"current usage counts {counted} events (expected {expected}); load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"\nLocalLago.handle in process (CPU time, no sockets)\n{'operation':<22}{'events/s':>11}")
        for name, rate in own.items():
            print(f"{name:<22}{rate:>11,.0f}")
        missed = [name for name, rate in rates.items() if rate < TARGETS[name]] or (counted != expected)
        return 1 if missed else 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
