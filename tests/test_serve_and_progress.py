"""`lago-dyn serve` as another team runs it (a process, plain HTTP, curl, SIGTERM), and progress lines."""

import io
import json
import shutil
import signal
import subprocess
import sys

import pytest
import requests

from lago_dyn import progress

SECRET = "sk_live_must_not_be_recorded"


def test_serve_answers_plain_http_and_curl_records_redacted_and_stops_on_sigterm(tmp_path):
    seed = tmp_path / "customers.json"
    seed.write_text(json.dumps([{"external_id": "seeded-1", "name": "Seeded"}]))
    record = tmp_path / "received.jsonl"
    server = subprocess.Popen([sys.executable, "-m", "lago_dyn", "serve", "--port", "0", "--seed", str(seed),
                               "--record", str(record)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()  # printed once it listens
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v1")
        auth = {"Authorization": f"Bearer {SECRET}"}
        found = requests.get(f"{base_url}/customers/seeded-1", headers=auth, timeout=10)
        assert found.status_code == 200 and found.json()["customer"]["name"] == "Seeded"
        created = requests.post(f"{base_url}/customers", json={"customer": {"external_id": "http-1"}}, headers=auth,
                                timeout=10)
        assert created.status_code == 200
        assert requests.get(f"{base_url}/customers/http-1", timeout=10).status_code == 401  # no key
        expected = ["find_customer", "create_customer", "find_customer"]
        if shutil.which("curl"):
            listed = subprocess.run(["curl", "-sS", "-H", f"Authorization: Bearer {SECRET}",
                                     f"{base_url}/customers?page=1&per_page=10"],
                                    capture_output=True, text=True, timeout=30)
            assert json.loads(listed.stdout)["meta"]["total_count"] == 2
            expected.append("find_all_customers")
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "Traceback" not in server.stderr.read()
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [entry["operation"] for entry in lines] == expected  # seeding is not recorded
    assert [entry["status"] for entry in lines][:3] == [200, 200, 401]
    assert lines[1]["method"] == "POST" and lines[1]["body"] == {"customer": {"external_id": "http-1"}}
    assert lines[0]["headers"]["Authorization"] == "[redacted]"
    assert "Authorization" not in lines[2]["headers"]
    assert SECRET not in record.read_text()
    if len(lines) == 4:
        assert lines[3]["query"] == "page=1&per_page=10" and lines[3]["headers"]["User-Agent"].startswith("curl/")


class FakeClock:
    """Seconds that pass only when the test says so: progress is about time, and the test must not sleep."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_plain_progress_prints_at_most_one_line_per_second(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    out = io.StringIO()

    def pages():
        for _ in range(10):
            clock.now += 0.25  # four items a second
            yield "item"

    assert list(progress.track(pages(), total=10, desc="customers", stream=out)) == ["item"] * 10
    assert out.getvalue().splitlines() == [
        "customers: 4/10 in 1 s, 4.0/s", "customers: 8/10 in 2 s, 4.0/s", "customers: 10/10 in 2 s, 4.0/s done"]
    quick = io.StringIO()
    assert list(progress.track(range(3), stream=quick)) == [0, 1, 2]
    assert quick.getvalue() == ""  # work that ends within a second shows nothing


def test_tqdm_draws_the_bar_on_a_terminal():
    pytest.importorskip("tqdm")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    assert list(progress.track(range(5), total=5, desc="pages", stream=screen)) == list(range(5))
    assert "pages:   0%|" in screen.getvalue() and "| 0/5 [" in screen.getvalue()  # a bar, cleared at the end (leave=False)
    plain = io.StringIO()
    assert list(progress.track(range(5), total=5, desc="pages", stream=plain)) == list(range(5))
    assert plain.getvalue() == ""  # not a terminal: no bar
