"""Backfilling usage (lago_dyn.backfill, `lago-dyn events backfill`) into LocalLago on the 1.51.0 spec:
200,000 events from Parquet killed halfway with SIGKILL and resumed, the same on a Dask LocalCluster,
invalid rows reported and never sent, 429s waited out, events Lago already has counted once, failed
batches left for the rerun, and the command line end to end."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import lago_dyn
from lago_dyn.backfill import FieldMapping, backfill
from lago_dyn.backfill.mapping import transaction_id
from lago_dyn.testing import LocalLago

from conftest import shared_spec

pa = pytest.importorskip("pyarrow", reason="Parquet sources need pyarrow (the test extra pins it)")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = Path(__file__).resolve().parent.parent
ROWS = 200_000
ROW_GROUP = 20_000
MAPPING = "code=metric,external_subscription_id=sub,properties.region=region"


def _set_up_billing(lago: LocalLago) -> lago_dyn.Client:
    """A count_agg metric `calls` on a plan, and the subscription `sub-1` the events are for."""
    client = lago_dyn.Client(lago.spec, base_url=lago.base_url, api_key="test")
    metric = client.create_billable_metric({"billable_metric": {
        "name": "Calls", "code": "calls", "aggregation_type": "count_agg"}}).billable_metric
    client.create_plan({"plan": {
        "name": "Usage", "code": "usage", "interval": "monthly", "amount_cents": 0, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [{"billable_metric_id": metric.lago_id, "charge_model": "standard",
                                              "properties": {"amount": "0.01"}}]}})
    client.create_subscription({"subscription": {"external_customer_id": "acme", "plan_code": "usage",
                                                 "external_id": "sub-1"}})
    return client


def _units(client: lago_dyn.Client) -> str:
    return client.find_customer_current_usage("acme", "sub-1").customer_usage.charges_usage[0].units


def _write_parquet(path: Path, rows: int, row_group: int, invalid_every: int = 0) -> Path:
    """`rows` usage rows without a transaction id (the job makes them); with `invalid_every`, every such
    row has no metric, so no `code`, which the event schema requires."""
    metrics = ["calls"] * rows
    if invalid_every:
        for row in range(invalid_every - 1, rows, invalid_every):
            metrics[row] = None
    table = pa.table({"metric": metrics, "sub": ["sub-1"] * rows,
                      "region": [("eu", "us", "apac")[row % 3] for row in range(rows)]})
    pq.write_table(table, path, row_group_size=row_group)
    return path


def _command(source: Path, lago: LocalLago, work: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "lago_dyn", "events", "backfill", str(source), "--spec", str(shared_spec("1.51.0")),
            "--base-url", lago.base_url, "--api-key", "test", "--map", MAPPING, "--checkpoint", str(work / "checkpoint"),
            "--failures", str(work / "failures.jsonl"), "--json", "--quiet", *extra]


def _checkpoint_lines(folder: Path) -> list[dict]:
    lines = []
    for path in folder.glob("*.jsonl"):
        lines += [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]
    return lines


def _wait_for(condition, deadline: float, what: str, process: subprocess.Popen | None = None) -> None:
    """Poll `condition` (a file another process writes: there is no event to await across processes)."""
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"the backfill ended (status {process.returncode}) before {what}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def parquet_200k(tmp_path_factory) -> Path:
    return _write_parquet(tmp_path_factory.mktemp("source") / "usage.parquet", ROWS, ROW_GROUP)


@pytest.fixture(scope="module")
def killed_and_resumed(parquet_200k, tmp_path_factory):
    """The command run on 200,000 rows, killed with SIGKILL once half the batches are recorded, then run
    again with the same checkpoint to the end: what LocalLago holds, and both runs' numbers."""
    spec = shared_spec("1.51.0")
    work = tmp_path_factory.mktemp("killed")
    env = {**os.environ, "LAGO_DYN_CACHE_DIR": str(work / "cache"), "PYTHONPATH": str(ROOT)}
    with LocalLago(spec) as lago:
        client = _set_up_billing(lago)
        started = time.perf_counter()
        first = subprocess.Popen(_command(parquet_200k, lago, work), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        half = ROWS // 100 // 2
        _wait_for(lambda: len(_checkpoint_lines(work / "checkpoint")) >= half, time.monotonic() + 90,
                  f"{half} batches recorded", first)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        stored_at_kill = len(lago.transaction_ids)
        confirmed_at_kill = sum(line["rows"] for line in _checkpoint_lines(work / "checkpoint"))
        second = subprocess.run(_command(parquet_200k, lago, work), cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        seconds = time.perf_counter() - started
        assert second.returncode == 0, second.stderr
        yield {"ids": lago.transaction_ids, "events": len(lago.rules.events), "units": _units(client),
               "stored_at_kill": stored_at_kill, "confirmed_at_kill": confirmed_at_kill,
               "rerun": json.loads(second.stdout), "seconds": seconds, "failures": work / "failures.jsonl"}


def test_killed_halfway_and_rerun_stores_each_event_exactly_once(killed_and_resumed):
    state, rerun = killed_and_resumed, killed_and_resumed["rerun"]
    print(f"200,000 events, killed and resumed: {state['seconds']:.1f} s")
    assert ROWS // 2 <= state["confirmed_at_kill"] < ROWS  # killed halfway: some batches were left to do
    assert state["stored_at_kill"] >= state["confirmed_at_kill"]
    assert len(state["ids"]) == state["events"] == ROWS  # each transaction id once, each event counted once
    assert state["units"] == f"{ROWS}.0"  # usage counts 200,000 calls
    # The rerun skipped what the checkpoint confirmed and sent the rest with the same ids: the events of
    # batches that were in Lago but not yet recorded came back as already received, not counted again.
    assert rerun["skipped"] >= state["confirmed_at_kill"]
    assert rerun["skipped"] + rerun["accepted"] + rerun["duplicates"] == ROWS
    assert rerun["duplicates"] >= state["stored_at_kill"] - rerun["skipped"]
    assert rerun["invalid"] == rerun["refused"] == rerun["unsent"] == 0
    assert not state["failures"].exists() or state["failures"].read_text() == ""


def test_a_dask_run_of_two_workers_ends_in_the_same_state(killed_and_resumed, parquet_200k, tmp_path):
    distributed = pytest.importorskip("distributed", reason="the dask extra (pinned in the test extra)")
    spec = shared_spec("1.51.0")
    with LocalLago(spec) as lago, \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, distributed.Client(cluster) as dask:
        client = _set_up_billing(lago)
        summary = backfill(parquet_200k, spec=str(spec), base_url=lago.base_url, api_key="test", mapping=MAPPING,
                           checkpoint=tmp_path / "checkpoint", failures=tmp_path / "failures.jsonl", cluster=dask,
                           quiet=True)
        assert (summary.accepted, summary.rows, summary.unsent) == (ROWS, ROWS, 0)
        assert lago.transaction_ids == killed_and_resumed["ids"]  # the very ids of the single-machine run
        assert len(lago.rules.events) == ROWS and _units(client) == f"{ROWS}.0"
        # One checkpoint file per task (a row group), in the layout a single-machine rerun reads.
        assert len(list((tmp_path / "checkpoint").glob("*.jsonl"))) == ROWS // ROW_GROUP
        again = backfill(parquet_200k, spec=str(spec), base_url=lago.base_url, api_key="test", mapping=MAPPING,
                         checkpoint=tmp_path / "checkpoint", quiet=True)
        assert (again.skipped, again.requests, len(lago.transaction_ids)) == (ROWS, 0, ROWS)


def test_invalid_rows_are_reported_never_sent_and_429s_are_waited_out(tmp_path):
    rows, every = 2_000, 100
    source = _write_parquet(tmp_path / "usage.parquet", rows, 1_000, invalid_every=every)
    with LocalLago(shared_spec("1.51.0"), rate_limit=8) as lago:  # a second: the first 8 batches meet 429s
        _set_up_billing(lago)
        summary = backfill(source, spec=lago.spec, base_url=lago.base_url, api_key="test", mapping=MAPPING,
                           checkpoint=tmp_path / "checkpoint", failures=tmp_path / "failures.jsonl", quiet=True)
        failures = [json.loads(line) for line in (tmp_path / "failures.jsonl").read_text().splitlines()]
        bad_rows = set(range(every - 1, rows, every))
        assert sorted(line["row"] for line in failures) == sorted(bad_rows)  # 1%, each with its row number
        assert all(line["status"] == "invalid" and line["source"] == "usage.parquet" and line["details"] == [
            {"location": "code", "rule": "required", "message": "required field 'code' is missing"}]
            for line in failures)
        assert not {line["transaction_id"] for line in failures} & lago.transaction_ids  # none sent
        assert lago.rate_budget.refused > 0 and summary.rate_limited == lago.rate_budget.refused
        assert (summary.accepted, summary.invalid, summary.unsent) == (rows - len(bad_rows), len(bad_rows), 0)
        assert len(lago.transaction_ids) == rows - len(bad_rows)  # every 429 waited out: nothing lost


def test_events_lago_already_has_are_counted_once_and_the_rest_resent(spec_1_51, tmp_path):
    rows = [{"id": f"call-{n}", "metric": "calls", "sub": "sub-1"} for n in range(300)]
    mapping = {"transaction_id": "id", "code": "metric", "external_subscription_id": "sub"}
    with LocalLago(spec_1_51) as lago:
        client = _set_up_billing(lago)
        # A run that died after Lago took rows 50-149 but before it recorded them.
        client.send_events({"transaction_id": f"call-{n}", "code": "calls", "external_subscription_id": "sub-1"}
                           for n in range(50, 150))
        summary = backfill(rows, spec=spec_1_51, base_url=lago.base_url, api_key="test", mapping=mapping,
                           checkpoint=tmp_path / "checkpoint", failures=tmp_path / "failures.jsonl", quiet=True)
        assert (summary.accepted, summary.duplicates, summary.refused) == (200, 100, 0)
        assert len(lago.transaction_ids) == len(lago.rules.events) == 300 and _units(client) == "300.0"
        assert not (tmp_path / "failures.jsonl").read_text()


def test_a_batch_that_fails_is_left_for_the_rerun_which_sends_it_with_the_same_ids(spec_1_51, tmp_path):
    rows = [{"metric": "calls", "sub": "sub-1", "n": str(n)} for n in range(500)]
    options = dict(spec=spec_1_51, api_key="test", mapping="code=metric,external_subscription_id=sub,properties.n=n",
                   checkpoint=tmp_path / "checkpoint", failures=tmp_path / "failures.jsonl", concurrency=1,
                   retries=0, quiet=True)
    with LocalLago(spec_1_51) as lago:
        _set_up_billing(lago)
        lago.reply("create_batch_events", status=503, body={"status": 503, "error": "Service Unavailable"}, times=2)
        first = backfill(rows, base_url=lago.base_url, **options)
        assert (first.accepted, first.unsent) == (300, 200)
        unsent = [json.loads(line) for line in (tmp_path / "failures.jsonl").read_text().splitlines()]
        assert {(line["status"], line["code"]) for line in unsent} == {("unsent", "http_503")} and len(unsent) == 200
        second = backfill(rows, base_url=lago.base_url, **options)
        assert (second.accepted, second.skipped, second.unsent) == (200, 300, 0)
        assert {line["transaction_id"] for line in unsent} <= lago.transaction_ids  # the same ids, now in Lago
        assert len(lago.transaction_ids) == 500


def test_an_error_no_batch_can_get_past_stops_the_job(spec_1_51, tmp_path):
    with LocalLago(spec_1_51, api_key="the-key") as lago:
        with pytest.raises(lago_dyn.UnauthorizedError) as raised:
            backfill([{"code": "calls", "external_subscription_id": "s"}] * 1000, spec=spec_1_51,
                     base_url=lago.base_url, api_key="a-wrong-key", checkpoint=tmp_path / "checkpoint", quiet=True)
        assert "a-wrong-key" not in str(raised.value)
        assert _checkpoint_lines(tmp_path / "checkpoint") == []  # nothing recorded as finished


def test_a_dataframe_gives_the_ids_of_the_same_rows_as_dicts(spec_1_51, tmp_path):
    pandas = pytest.importorskip("pandas")
    rows = [{"metric": "calls", "sub": "sub-1", "amount": n + 0.5} for n in range(250)]
    ids = []
    for name, source in (("dicts", rows), ("frame", pandas.DataFrame(rows))):
        with LocalLago(spec_1_51) as lago:
            summary = backfill(source, spec=spec_1_51, base_url=lago.base_url, api_key="test", source_name="usage",
                               mapping="code=metric,external_subscription_id=sub,properties.amount=amount",
                               checkpoint=tmp_path / name, quiet=True)
            assert summary.accepted == 250
            ids.append(lago.transaction_ids)
    assert ids[0] == ids[1]


def test_the_command_reports_rows_not_in_lago_in_one_line_and_a_rerun_sends_nothing(spec_1_51, tmp_path):
    source = tmp_path / "usage.csv"
    source.write_text("id,metric,sub,region\nu-1,calls,sub-1,eu\nu-2,,sub-1,us\nu-3,calls,sub-1,eu\n")
    with LocalLago(spec_1_51) as lago:
        command = _command(source, lago, tmp_path, "--map", "transaction_id=id")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 1
        assert first.stderr.strip().splitlines() == [
            f"lago-dyn: 1 rows are not in Lago: 1 invalid, 0 refused, 0 unsent (a rerun with the same --checkpoint "
            f"sends those); see {tmp_path / 'failures.jsonl'}"]
        assert json.loads(first.stdout)["accepted"] == 2 and lago.transaction_ids == {"u-1", "u-3"}
        assert [json.loads(line)["row"] for line in (tmp_path / "failures.jsonl").read_text().splitlines()] == [1]
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and json.loads(again.stdout)["skipped"] == 3
        assert len(lago.requests) == len([r for r in lago.requests if r.operation == "create_batch_events"]) == 1
        wrong = subprocess.run([*command, "--map", "nmae=metric"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=60)
        assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
        assert "'nmae' is not a field of a Lago event" in wrong.stderr


@settings(max_examples=100, deadline=None)
@given(event=st.dictionaries(st.sampled_from(["code", "external_subscription_id", "timestamp"]),
                             st.one_of(st.text(max_size=8), st.integers())),
       row=st.integers(min_value=0, max_value=10**9), source=st.text(max_size=12))
def test_a_rows_transaction_id_depends_on_its_source_row_and_content_only(event, row, source):
    made = transaction_id(source, row, event)
    assert made == transaction_id(source, row, dict(event))
    assert made != transaction_id(source, row + 1, event)
    assert made != transaction_id(source + "x", row, event)
    assert made != transaction_id(source, row, {**event, "properties": {"n": 1}})


@settings(max_examples=100, deadline=None)
@given(row=st.dictionaries(st.sampled_from(["id", "metric", "sub", "region", "other"]),
                           st.one_of(st.none(), st.just(""), st.text(max_size=6), st.integers())))
def test_a_mapping_reads_the_same_event_however_written_and_after_travelling_to_a_worker(row):
    fields = ("transaction_id", "code", "external_subscription_id", "properties")
    mapping = FieldMapping("transaction_id=id,code=metric,properties.region=region", {"code": "fallback"},
                           fields=fields)
    reordered = FieldMapping("properties.region=region,code=metric,transaction_id=id", {"code": "fallback"},
                             fields=fields)
    event = mapping.event(row)
    assert pickle.loads(pickle.dumps(mapping)).event(row) == event
    # The same keys in the same order, so the same transaction id, whatever order the mapping was written in.
    assert list(reordered.event(row).items()) == list(event.items())
    assert transaction_id("s", 1, reordered.event(row)) == transaction_id("s", 1, event)
    assert event["code"] == (row["metric"] if row.get("metric") not in (None, "") else "fallback")
    assert ("region" in event.get("properties", {})) == (row.get("region") not in (None, ""))


def test_local_lago_announces_its_rate_limit_with_lagos_headers_and_refuses_past_it(spec_1_51):
    seen = []
    with LocalLago(spec_1_51, rate_limit=2, rate_window=60) as lago:
        client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key="test", on_rate_limit=seen.append,
                                 retry=lago_dyn.RetryPolicy(retries=0))
        client.find_all_customers()
        client.find_all_customers()
        with pytest.raises(lago_dyn.RateLimitError) as refused:
            client.find_all_customers()
    assert [(s.limit, s.remaining) for s in seen[:2]] == [(2, 1), (2, 0)]
    assert 0 < refused.value.retry_after <= 60 and refused.value.code == "too_many_requests"
    assert lago.rate_budget.refused == 1


def test_integer_properties_pass_with_the_lago_fixes_overlay_and_are_reported_without_it(tmp_path):
    spec = str(shared_spec("1.51.0"))
    rows = [{"code": "calls", "external_subscription_id": "sub-1", "gb": 10}]
    with LocalLago(lago_dyn.load_spec(spec, overlays=["lago-fixes"])) as lago:  # a Lago that takes integers
        plain = backfill(rows, spec=spec, base_url=lago.base_url, api_key="test", mapping="properties.gb=gb",
                         checkpoint=tmp_path / "plain", failures=tmp_path / "plain.jsonl", quiet=True)
        fixed = backfill(rows, spec=spec, base_url=lago.base_url, api_key="test", mapping="properties.gb=gb",
                         checkpoint=tmp_path / "fixed", quiet=True, client_options={"overlays": ["lago-fixes"]})
    assert (plain.invalid, fixed.accepted) == (1, 1)  # 1.51.0's oneOf integer/number refuses every integer
    assert json.loads((tmp_path / "plain.jsonl").read_text())["details"][0]["rule"] == "oneOf"
