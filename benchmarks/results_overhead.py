"""What results cost: parsing an answer into ApiObjects, models.shape() (the response handler's
per-call step), and reading fields by attribute, on the project's find_all_customers answer.

    .venv/bin/python benchmarks/results_overhead.py
"""

import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lago_dyn  # noqa: E402
from lago_dyn.models import parse_json, shape  # noqa: E402
from lago_dyn.testing import LocalLago  # noqa: E402


def best(function, number=20000):
    return min(timeit.repeat(function, number=number, repeat=7)) / number * 1e6


def main():
    spec = lago_dyn.load_spec(cache_dir=False)
    uri = spec.operations["find_all_customers"].responses["200"].content["application/json"]
    page = LocalLago(spec).example_body(uri)
    page["customers"] = [page["customers"][0]] * 2
    raw = json.dumps(page).encode()
    plain, shaped = parse_json(raw), shape(spec, uri, parse_json(raw))
    print(f"answer: {len(raw)} bytes")
    print(f"parse_json:                               {best(lambda: parse_json(raw)):.2f} us")
    print(f"shape() (per call, on the hot path):      {best(lambda: shape(spec, uri, plain)):.2f} us")
    print(f"shape(typed=True), fresh answer:          {best(lambda: shape(spec, uri, parse_json(raw), typed=True)):.2f} us")
    print(f"result.customers[0].external_id, shaped:  {best(lambda: shaped.customers[0].external_id):.2f} us")
    print(f"the same, never shaped:                   {best(lambda: plain.customers[0].external_id):.2f} us")


if __name__ == "__main__":
    main()
