"""The command line (over the wire), typed stubs checked by mypy, spec diffs, pagination's sibling the
event hook, and logging."""

import json
import logging
import os
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lago_dyn
from conftest import API_KEY, shared_spec
from lago_dyn.tools import diff


def cli(*args, env=None, timeout=120, input=None):
    """`lago-dyn ARGS` as a separate process, the way a shell runs it."""
    return subprocess.run([sys.executable, "-m", "lago_dyn", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, input=input)


# -- command line --------------------------------------------------------------------------------------

def test_call_sends_a_validated_request_and_prints_json(lago):
    body = json.dumps({"customer": {"external_id": "cli-1", "name": "From CLI"}})
    result = cli("call", "create_customer", "--data", body, "--base-url", lago.base_url, env={"LAGO_API_KEY": "cli-key"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["customer"]["external_id"] == "cli-1"
    assert lago.requests[-1].headers["Authorization"] == "Bearer cli-key"
    found = cli("call", "find_all_customers", "--param", "page=1", "--param", "per_page=5", "--base-url", lago.base_url,
                env={"LAGO_API_KEY": "cli-key"})
    assert json.loads(found.stdout)["meta"]["total_count"] == 1
    assert lago.requests[-1].query == "page=1&per_page=5"


def test_errors_are_one_line_and_a_non_zero_status(lago, tmp_path):
    sent = len(lago.requests)
    bad = cli("call", "create_customer", "--data", '{"customer": {"external_id": 1}}', "--base-url", lago.base_url)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "RequestValidationError" in bad.stderr and "body.customer.external_id" in bad.stderr
    assert len(lago.requests) == sent
    missing = cli("call", "find_customer", "--param", "external_id=nobody", "--base-url", lago.base_url,
                  env={"LAGO_API_KEY": "k"})
    assert missing.returncode == 1 and "NotFoundError" in missing.stderr and "Traceback" not in missing.stderr
    no_spec = cli("--spec", str(tmp_path / "none.yaml"), "ops")
    assert no_spec.returncode == 1 and "no such file" in no_spec.stderr and "Traceback" not in no_spec.stderr


def test_ops_and_describe():
    listed = cli("--spec", str(shared_spec("1.51.0")), "ops", "--tag", "customers")
    assert listed.returncode == 0
    assert "find_all_customer_past_usage" in listed.stdout and "create_wallet " not in listed.stdout
    described = cli("describe", "find_all_customer_past_usage")
    assert "find_all_customer_past_usage(external_customer_id: str, external_subscription_id: str, *, page" in described.stdout
    assert "Retrieve customer past usage" in described.stdout


# -- typed stubs ---------------------------------------------------------------------------------------

def run_mypy(stub_dir, tmp_path, code):
    script = tmp_path / "user_code.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "mc"),
                           str(script)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MYPYPATH": str(stub_dir)}, cwd=tmp_path)


def test_stubs_let_mypy_check_calls(tmp_path):
    stubs = tmp_path / "stubs"
    made = cli("stubs", "-o", str(stubs))
    assert made.returncode == 0, made.stderr
    good = run_mypy(stubs, tmp_path, """
        import lago_dyn
        client = lago_dyn.Client(api_key="k")
        created = client.customers.create_customer({"customer": {"external_id": "c-1", "name": "Acme"}})
        external_id: str = created.customer.external_id
        total: int = client.find_all_customers(page=1, per_page=20).meta.total_count
    """)
    assert good.returncode == 0, good.stdout
    bad = run_mypy(stubs, tmp_path, """
        import lago_dyn
        client = lago_dyn.Client(api_key="k")
        client.customers.find_all_customers(pages=2)
        client.customers.find_customer(42)
        client.create_customer({"customer": {"name": "no id"}})
        client.create_customer({"customer": {"external_id": "c", "account_type": "vip"}})
    """)
    assert bad.returncode == 1
    assert 'Unexpected keyword argument "pages"' in bad.stdout
    assert 'Argument 1 to "find_customer" of "CustomersApi" has incompatible type "int"' in bad.stdout
    assert 'Missing key "external_id"' in bad.stdout
    assert "Literal['vip']" in bad.stdout
    assert "Found 4 errors" in bad.stdout


def test_async_stubs_let_mypy_check_awaited_calls(tmp_path):
    stubs = tmp_path / "stubs"
    made = cli("stubs", "--async", "-o", str(stubs))
    assert made.returncode == 0, made.stderr
    good = run_mypy(stubs, tmp_path, """
        import lago_dyn

        async def main() -> None:
            async with lago_dyn.AsyncClient(api_key="k") as client:
                created = await client.customers.create_customer({"customer": {"external_id": "c-1"}})
                external_id: str = created.customer.external_id
                total: int = (await client.find_all_customers(page=1, per_page=20)).meta.total_count
                async for customer in client.paginate("find_all_customers", per_page=100):
                    print(customer)
            sync = lago_dyn.Client(api_key="k")
            name: str = sync.customers.find_customer("c-1").customer.external_id
    """)
    assert good.returncode == 0, good.stdout
    bad = run_mypy(stubs, tmp_path, """
        import lago_dyn

        async def main() -> None:
            client = lago_dyn.AsyncClient(api_key="k")
            not_awaited: str = client.customers.find_customer("c-1").customer.external_id
            await client.customers.find_all_customers(pages=2)
            await client.create_customer({"customer": {"name": "no id"}})
    """)
    assert bad.returncode == 1
    assert '"Coroutine[Any, Any, Customer]" has no attribute "customer"' in bad.stdout
    assert 'Unexpected keyword argument "pages"' in bad.stdout
    assert 'Missing key "external_id"' in bad.stdout
    assert "Found 3 errors" in bad.stdout


def test_stubs_for_the_largest_upstream_spec_type_check(tmp_path):
    stubs = tmp_path / "stubs"
    assert cli("stubs", str(shared_spec("1.51.0")), "--async", "-o", str(stubs)).returncode == 0
    result = run_mypy(stubs, tmp_path, """
        import lago_dyn
        client = lago_dyn.Client("lago.yaml")
        wallets = client.wallets.find_all_wallets(external_customer_id="c-1")
        key = client.webhooks.fetch_public_key()

        async def main() -> None:
            async with lago_dyn.AsyncClient("lago.yaml") as aclient:
                awaited = await aclient.wallets.find_all_wallets(external_customer_id="c-1")
                same: list[str] = [w.lago_id for w in awaited.wallets] + [w.lago_id for w in wallets.wallets]
    """)
    assert result.returncode == 0, result.stdout[-2000:]


# -- spec diff -----------------------------------------------------------------------------------------

def test_diff_between_two_lago_releases():
    result = cli("diff", str(shared_spec("1.21.0")), str(shared_spec("1.51.0")), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by_name = {entry["operation"]: entry for entry in report["operations"]}
    assert by_name["create_customer_wallet_alert"]["status"] == "added"
    assert report["summary"]["added"] == 105 and report["summary"]["removed"] == 0
    listing = by_name["find_all_customers"]
    assert listing["breaking"]
    assert {"location": "query.account_type", "detail": "parameter removed", "breaking": True} in listing["changes"]
    table = cli("diff", str(shared_spec("1.21.0")), str(shared_spec("1.51.0")), "--breaking-only").stdout
    assert "| find_all_customers | changed | yes | query.account_type: parameter removed |" in table
    assert "with breaking changes" in table.splitlines()[-1]


def spec_with(operations):
    return lago_dyn.load_spec({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": operations})


def operation(parameters=(), body=None, answer=None):
    op = {"parameters": list(parameters), "responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": answer or {"type": "object"}}}}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def test_diff_flags_each_kind_of_breaking_change():
    old = spec_with({
        "/a": {"get": {"operationId": "gone", **operation()}},
        "/b": {"post": {"operationId": "make", **operation(
            parameters=[{"name": "page", "in": "query", "schema": {"type": "integer"}}],
            body={"type": "object", "properties": {"kind": {"type": "string", "enum": ["x", "y"]}, "n": {"type": "integer"}}},
            answer={"type": "object", "properties": {"id": {"type": "string"}, "old": {"type": "string"}}})}},
    })
    new = spec_with({
        "/b": {"post": {"operationId": "make", **operation(
            parameters=[{"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {"name": "org", "in": "query", "required": True, "schema": {"type": "string"}}],
            body={"type": "object", "required": ["n"], "properties": {"kind": {"type": "string", "enum": ["x"]},
                                                                        "n": {"type": "string"}}},
            answer={"type": "object", "properties": {"id": {"type": "string"}}})}},
        "/c": {"get": {"operationId": "fresh", **operation()}},
    })
    result = {d.operation: d for d in diff.diff(old, new)}
    assert (result["gone"].status, result["gone"].breaking) == ("removed", True)
    assert (result["fresh"].status, result["fresh"].breaking) == ("added", False)
    changes = {(c.location, c.detail, c.breaking) for c in result["make"].changes}
    assert ("query.org", "new required parameter", True) in changes
    assert ("body.n", "new required field", True) in changes
    assert ("body.kind", "enum lost ['y']", True) in changes
    assert ("body.n", "type integer -> string", True) in changes
    assert ("response.old", "field removed", True) in changes


# -- events and logging --------------------------------------------------------------------------------

def test_event_hook_and_log_lines_never_carry_the_key(lago, default_spec, caplog):
    events = []
    client = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, on_event=events.append)
    with caplog.at_level(logging.DEBUG, logger="lago_dyn"):
        client.create_customer({"customer": {"external_id": "e-1"}})
    assert [e["event"] for e in events] == ["request", "response"]
    assert events[1]["status"] == 200 and events[1]["path"] == "/customers" and events[1]["elapsed_ms"] > 0
    assert "POST /customers -> 200 in" in caplog.text
    assert API_KEY not in json.dumps(events) + caplog.text


def test_pyright_accepts_awaited_and_plain_calls_against_the_stubs(tmp_path):
    pyright = Path(__file__).resolve().parents[1] / "tools" / "pyright" / "node_modules" / ".bin" / "pyright"
    if not pyright.exists():
        pytest.skip("pyright is not installed: run `cd tools/pyright && npm ci` (scripts/bootstrap.sh does)")
    stubs = tmp_path / "typings"
    assert cli("stubs", "--async", "-o", str(stubs)).returncode == 0
    (tmp_path / "pyrightconfig.json").write_text(json.dumps({"stubPath": "typings", "typeCheckingMode": "basic"}))
    (tmp_path / "good.py").write_text(textwrap.dedent("""
        import lago_dyn

        async def main() -> None:
            async with lago_dyn.AsyncClient(api_key="k") as client:
                created = await client.customers.create_customer({"customer": {"external_id": "c-1"}})
                external_id: str = created.customer.external_id
            sync = lago_dyn.Client(api_key="k")
            name: str = sync.customers.find_customer("c-1").customer.external_id
    """))
    (tmp_path / "bad.py").write_text(textwrap.dedent("""
        import lago_dyn

        async def main() -> None:
            client = lago_dyn.AsyncClient(api_key="k")
            not_awaited: str = client.customers.find_customer("c-1").customer.external_id
    """))
    good = subprocess.run([str(pyright), "good.py"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert good.returncode == 0 and "0 errors" in good.stdout, good.stdout
    bad = subprocess.run([str(pyright), "bad.py"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert bad.returncode == 1 and 'Cannot access attribute "customer"' in bad.stdout, bad.stdout


def test_the_stub_prelude_describes_the_real_classes():
    """The stubs declare lago_dyn's own classes by hand (a .pyi cannot import them); each declared class,
    base, attribute and method must exist on the real one, or a type checker would pass code that fails."""
    import ast

    from lago_dyn import errors
    from lago_dyn.tools import stubs

    tree = ast.parse(stubs._PRELUDE.format(title="t", version="1"))
    checked = 0
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        real = getattr(lago_dyn, node.name, None) or getattr(errors, node.name)
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id not in ("Exception", "AttributeError", "KeyError", "ValueError"):
                assert issubclass(real, getattr(lago_dyn, base.id, None) or getattr(errors, base.id)), node.name
        for member in node.body:
            name = (member.target.id if isinstance(member, ast.AnnAssign) else
                    member.name if isinstance(member, ast.FunctionDef) else None)
            if name is not None and name != "__init__":
                sources = "".join(inspect.getsource(klass) for klass in real.__mro__ if klass.__module__.startswith("lago_dyn"))
                assert hasattr(real, name) or f"self.{name} =" in sources or f"    {name}:" in sources, \
                    f"{node.name}.{name}"
                checked += 1
    assert checked >= 20
