"""Every operation of public OpenAPI specs that nobody here wrote (public_specs.py: the OAI examples,
ReadMe's examples of every body and auth kind, a multi-file spec, Stripe), called through lago_dyn against
Stoplight Prism: Prism must accept each request, except where Prism itself is wrong (prism_defects.yaml,
each entry checked to still apply)."""

import re
from pathlib import Path

import pytest
import yaml

import lago_dyn
from harness import PUBLIC_TABLES, Report, prism, prism_missing_reason, run
from public_specs import SPECS, PublicSpec, SpecUnavailable

DEFECTS = yaml.safe_load(Path(__file__).with_name("prism_defects.yaml").read_text())


@pytest.fixture(autouse=True)
def needs_prism():
    reason = prism_missing_reason()
    if reason:
        pytest.skip(reason)


def listed_defects(label: str) -> dict[str, dict]:
    return {operation: defect for defect in DEFECTS if defect["spec"] == label for operation in defect["operations"]}


def explained(outcome, defect) -> bool:
    """Prism refused the request for the listed reason, and for nothing else."""
    return defect is not None and bool(outcome.refusals) \
        and all(re.search(defect["refusal"], refusal) for refusal in outcome.refusals)


def unsatisfiable(spec: lago_dyn.Spec, name: str) -> bool:
    """Every security requirement of the operation asks for two schemes that each need the request's one
    Authorization header (http basic or bearer, oauth2, openIdConnect): no request can meet it, so Prism
    is right to refuse (ReadMe's `security-multiple` example has one)."""
    schemes = (spec.root.get("components") or {}).get("securitySchemes") or {}

    def uses_authorization(scheme_name: str) -> bool:
        return (schemes.get(scheme_name) or {}).get("type") in ("http", "oauth2", "openIdConnect")

    requirements = spec.operations[name].security or []
    return bool(requirements) and all(sum(map(uses_authorization, requirement)) > 1 for requirement in requirements)


def load(public: PublicSpec, path: Path) -> lago_dyn.Spec:
    if public.ref_root_path is not None:
        return lago_dyn.load_spec(path, ref_root=public.ref_root_path)
    return lago_dyn.load_spec(path)


def called_against_prism(public: PublicSpec, path: Path, spec: lago_dyn.Spec, crashing: list[str]) -> Report:
    """Every operation, the ones that end Prism each against a Prism of its own."""
    others = sorted(set(spec.operations) - set(crashing))
    with prism(path) as base_url:
        report = run(path, base_url, spec=spec, label=public.label, operations=others)
    for name in crashing:
        with prism(path) as base_url:
            report.outcomes.extend(run(path, base_url, spec=spec, operations=[name]).outcomes)
    return report


def test_the_defect_list_names_public_specs_only():
    labels = {public.label for public in SPECS}
    assert {defect["spec"] for defect in DEFECTS} <= labels
    assert all(defect["reason"].strip() and defect["refusal"] for defect in DEFECTS)


@pytest.mark.parametrize("public", SPECS, ids=lambda public: public.label)
def test_prism_accepts_every_request_except_its_own_listed_defects(public):
    try:
        path = public.fetch()
    except SpecUnavailable as unavailable:
        pytest.skip(str(unavailable))
    try:
        spec = load(public, path)
    except (lago_dyn.LagoDynError, TypeError) as error:
        pytest.fail(f"{public.label} ({public.exercises}): lago_dyn cannot load it: {type(error).__name__}: {error}")
    defects = listed_defects(public.label)
    crashing = sorted(name for name, defect in defects.items() if defect.get("crashes"))
    report = called_against_prism(public, path, spec, crashing)
    PUBLIC_TABLES.append(report.acceptance_row())

    assert sorted(o.operation for o in report.outcomes) == sorted(spec.operations)  # every operation called
    impossible = {name for name in spec.operations if unsatisfiable(spec, name)}
    assert all(not o.accepted for o in report.outcomes if o.operation in impossible)
    unexplained = [f"{o.operation}: {o.problem}" for o in report.outcomes
                   if not o.accepted and o.operation not in impossible and not explained(o, defects.get(o.operation))]
    outcomes = {o.operation: o for o in report.outcomes}
    stale = [name for name, defect in defects.items() if name not in outcomes or not explained(outcomes[name], defect)]
    assert not unexplained and not stale, (
        f"{public.label} ({public.exercises}):\n" + "\n".join(unexplained)
        + (f"\nlisted Prism defects that no longer fail this way: {stale}" if stale else ""))
