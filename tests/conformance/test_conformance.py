"""Every operation of the three upstream Lago specs, called through lago_dyn against Stoplight Prism: Prism
must accept each request, and Prism's answers must pass lago_dyn's strict validation, except where the
upstream spec contradicts itself (upstream_defects.yaml, each entry checked to still apply)."""

import re
from pathlib import Path

import pytest
import yaml

import lago_dyn
from conftest import API_KEY, shared_spec
from harness import TABLES, independently_invalid, prism, prism_missing_reason, run
from lago_dyn.spec import overlay

DEFECTS = yaml.safe_load((Path(__file__).with_name("upstream_defects.yaml")).read_text())


@pytest.fixture(autouse=True)
def needs_prism():
    reason = prism_missing_reason()
    if reason:
        pytest.skip(reason)


def explaining_defect(spec_name, violation):
    for index, defect in enumerate(DEFECTS):
        fields = defect["field"] if isinstance(defect["field"], list) else [defect["field"]]
        if spec_name in defect["specs"] and violation.rule == defect["rule"] \
                and any(re.search(rf"(^|\.){re.escape(name)}$", violation.location) for name in fields):
            return index
    return None


def only_the_actions_fixing(defect):
    """The shipped overlay cut down to the actions that fix one listed defect."""
    raw = yaml.safe_load((overlay.SHIPPED_DIR / "lago-fixes.yaml").read_text())
    actions = [action for action in raw["actions"] if action.get("x-lago-dyn-defect") == defect]
    assert actions, f"lago-fixes has no action for the listed defect {defect!r}"
    return {**raw, "actions": actions}


@pytest.mark.parametrize("version", ["1.6.4", "1.21.0", "1.51.0"])
def test_every_operation_is_accepted_by_prism_and_its_answers_validate(version):
    """Without the overlay, every failure is a listed upstream defect, fixed by its own overlay action;
    with the overlay, every answer is valid."""
    path = shared_spec(version)
    with prism(path) as base_url:
        report = run(path, base_url)
        fixed = run(path, base_url, overlays=["lago-fixes"])
    TABLES.extend([report.table(), fixed.table()])
    spec = lago_dyn.load_spec(path)
    assert len(report.outcomes) == len(fixed.outcomes) == len(spec.operations)  # 100% of the operations
    unexplained, explained = [], {}
    for outcome in report.failures:
        if not outcome.accepted:
            unexplained.append(f"{outcome.operation}: {outcome.problem}")
            continue
        defects = [explaining_defect(path.name, v) for v in outcome.violations]
        if None in defects:
            unexplained.append(f"{outcome.operation}: {outcome.problem}")
            continue
        assert independently_invalid(spec, outcome.schema_uri, outcome.body), \
            f"{outcome.operation}: only lago_dyn rejects this answer"
        for index, violation in zip(defects, outcome.violations):
            explained.setdefault(index, []).append((outcome, violation.location))
    assert not unexplained, "\n".join(unexplained)
    stale = [DEFECTS[i]["field"] for i, d in enumerate(DEFECTS) if path.name in d["specs"] and i not in explained]
    assert not stale, f"listed upstream defects that no longer fail on {path.name}: {stale}"
    for index, cases in explained.items():
        defect = DEFECTS[index]["fixed_by"]
        patched = lago_dyn.load_spec(path, overlays=[only_the_actions_fixing(defect)])
        validators = patched.validators
        for outcome, location in cases:
            left = validators.violations(outcome.schema_uri, outcome.body, "body", "read")
            assert location not in {v.location for v in left}, f"{defect} does not fix {outcome.operation}"
    assert [f"{o.operation}: {o.problem}" for o in fixed.failures] == []


# -- Prism with --errors as a second validator ---------------------------------------------------------

BAD_REQUESTS = [
    ("create_customer", {"customer_create_input": {"customer": {"external_id": 42}}},
     {("body.customer.external_id", "type")}),
    ("create_customer", {"customer_create_input": {"customer": {"name": "No id"}}},
     {("body.customer.external_id", "required")}),
    ("create_customer", {"customer_create_input": {"customer": {"external_id": "c-1", "account_type": "vip"}}},
     {("body.customer.account_type", "enum")}),
    ("find_all_customer_past_usage", {"external_customer_id": "c-1", "page": "two"},
     {("query.external_subscription_id", "required"), ("query.page", "type")}),
    ("find_all_customers", {"per_page": "many"}, {("query.per_page", "type")}),
]


def prism_violations(error):
    """Prism's verdict as lago_dyn-style (location, rule) pairs: from its sl-violations header, or, where
    the spec declares no 4xx answer for the operation, from its problem+json body."""
    import json

    header = error.headers.get("sl-violations")
    items = json.loads(header) if header else error.body["validation"]
    found = set()
    for item in items:
        where = item["location"][1:] if item["location"][:1] == ["request"] else item["location"]
        if item["code"] == "required":
            where = where + re.findall(r"'([^']+)'$", item["message"])
        found.add((".".join(str(part) for part in where), item["code"]))
    return found


def test_prism_and_lago_dyn_agree_on_bad_requests():
    path = shared_spec("1.51.0")
    spec = lago_dyn.load_spec(path)
    with prism(path, errors=True) as base_url:
        unchecked = lago_dyn.Client(spec, base_url=base_url, api_key=API_KEY, request_validation=False,
                                    retry=lago_dyn.RetryPolicy(retries=0))
        checked = lago_dyn.Client(spec, base_url=base_url, api_key=API_KEY)
        for operation, arguments, expected in BAD_REQUESTS:
            with pytest.raises(lago_dyn.ApiError) as prism_said:
                unchecked.operation(operation)(**arguments)
            assert prism_said.value.status in (400, 422)
            with pytest.raises(lago_dyn.RequestValidationError) as we_said:
                checked.operation(operation)(**arguments)
            ours = {(v.location, v.rule) for v in we_said.value.violations}
            assert ours == expected, operation
            assert prism_violations(prism_said.value) == ours, operation
