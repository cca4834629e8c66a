"""`python -m lago_dyn` / `lago-dyn`: the demo, and operations from the shell.

    lago-dyn demo                          every call of the Customers API against a local Lago
    lago-dyn ops [--tag T]                 the operations of a spec
    lago-dyn describe OP                   what help() shows for an operation
    lago-dyn call OP --param k=v --data @body.json
    lago-dyn stubs SPEC -o DIR                 typed .pyi stubs for mypy/pyright
    lago-dyn diff OLD NEW [--json]             what changed, and what breaks

Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Sequence

from .errors import LagoDynError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lago-dyn", description="A Lago API client built from the OpenAPI spec.")
    parser.add_argument("--spec", help="spec path or URL (default: the Customers spec lago_dyn ships)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run every Customers API call against a local, spec-driven Lago")
    ops = commands.add_parser("ops", help="list the operations")
    ops.add_argument("--tag", help="only this tag (snake_cased, e.g. customers)")
    describe = commands.add_parser("describe", help="show an operation's signature and documentation")
    describe.add_argument("operation")
    call = commands.add_parser("call", help="send a validated request and print the JSON response")
    call.add_argument("operation")
    call.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                      help="an argument (VALUE is parsed as JSON when it can be: 2, true, [\"a\"])")
    call.add_argument("--data", help="the request body: JSON text, or @file.json")
    call.add_argument("--base-url", help="API base URL (default: the spec's first server)")
    stubs = commands.add_parser("stubs", help="write .pyi stubs typing lago_dyn.Client for a spec")
    stubs.add_argument("stub_spec", metavar="SPEC", nargs="?", help="spec path or URL (default: --spec)")
    stubs.add_argument("-o", "--output", required=True, help="folder to write lago_dyn/__init__.pyi into")
    compare = commands.add_parser("diff", help="operations added, removed and changed between two specs")
    compare.add_argument("old")
    compare.add_argument("new")
    compare.add_argument("--json", action="store_true", help="JSON instead of a table")
    compare.add_argument("--breaking-only", action="store_true", help="only operations with breaking changes")
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (LagoDynError, OSError, ValueError) as exc:
        print(f"lago-dyn: {type(exc).__name__}: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _one_line(text: str) -> str:
    return "; ".join(line.strip(" -") for line in text.splitlines() if line.strip())


def _client(args: argparse.Namespace, **kwargs: Any) -> Any:
    from .client import Client

    return Client(args.spec, base_url=getattr(args, "base_url", None), **kwargs)


def _ops(args: argparse.Namespace) -> int:
    client = _client(args)
    names = client.tags[args.tag] if args.tag else client.operations
    if args.tag and args.tag not in client.tags:
        raise ValueError(f"no tag {args.tag!r}; tags: {', '.join(sorted(client.tags))}")
    for name in sorted(names):
        operation = client.operations[name].operation
        print(f"{name:<48} {operation.method:<6} {operation.path}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    import inspect

    function = _client(args).operation(args.operation)
    print(f"{function.__name__}{inspect.signature(function)}\n")
    print(function.__doc__)
    return 0


def _call(args: argparse.Namespace) -> int:
    function = _client(args).operation(args.operation)
    kwargs: dict[str, Any] = {}
    for item in args.param:
        name, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"--param {item!r}: expected NAME=VALUE")
        kwargs[name] = _json_or_text(value)
    if args.data is not None:
        text = open(args.data[1:], encoding="utf-8").read() if args.data.startswith("@") else args.data
        body_name = function.operation.body.python_name if function.operation.body else "body"
        kwargs[body_name] = json.loads(text)
    result = function(**kwargs)
    print(json.dumps(result, indent=2, ensure_ascii=False) if not isinstance(result, (bytes, str)) else result)
    return 0


def _stubs(args: argparse.Namespace) -> int:
    from . import stubs
    from .client import load_spec

    path = stubs.write(load_spec(args.stub_spec or args.spec), args.output)
    print(f"wrote {path}; put {args.output} on MYPYPATH (mypy) or stubPath (pyright)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from . import diff
    from .client import load_spec

    changes = diff.diff(load_spec(args.old), load_spec(args.new))
    if args.breaking_only:
        changes = [change for change in changes if change.breaking]
    print(json.dumps(diff.as_json(changes), indent=2) if args.json else diff.as_table(changes))
    return 0


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _demo(args: argparse.Namespace) -> int:
    from .client import Client
    from .errors import NotFoundError, RequestValidationError
    from .testing import LocalLago

    with LocalLago(args.spec) as lago, Client(lago.spec, base_url=lago.base_url, api_key="demo-key") as client:
        print(f"LocalLago serving {lago.spec.title!r} at {lago.base_url}")
        customers = client.customers

        def show(call: str, run: Callable[[], Any], key: Callable[[Any], Any]) -> Any:
            result = run()
            status = lago.requests[-1]
            print(f"  {call:<74} -> {status.method} {status.path}: {key(result)}")
            return result

        show("create_customer({'customer': {'external_id': 'acme-1', ...}})",
             lambda: customers.create_customer({"customer": {"external_id": "acme-1", "name": "Acme", "currency": "EUR"}}),
             lambda r: f"200 external_id={r.customer.external_id} lago_id={r.customer.lago_id}")
        show("find_customer('acme-1')", lambda: customers.find_customer("acme-1"),
             lambda r: f"200 name={r.customer.name}")
        show("find_all_customers(page=1, per_page=20)", lambda: customers.find_all_customers(page=1, per_page=20),
             lambda r: f"200 total_count={r.meta.total_count}")
        show("find_customer_current_usage('acme-1', 'sub-1')",
             lambda: customers.find_customer_current_usage("acme-1", "sub-1"),
             lambda r: f"200 total_amount_cents={r.customer_usage.total_amount_cents}")
        show("find_all_customer_past_usage('acme-1', 'sub-1', page=1, per_page=20)",
             lambda: customers.find_all_customer_past_usage("acme-1", "sub-1", page=1, per_page=20),
             lambda r: f"200 periods={len(r.usage_periods)}")
        show("generate_customer_checkout_url('acme-1')", lambda: customers.generate_customer_checkout_url("acme-1"),
             lambda r: f"200 checkout_url={r.customer.checkout_url}")
        show("get_customer_portal_url('acme-1')", lambda: customers.get_customer_portal_url("acme-1"),
             lambda r: f"200 portal_url={r.customer.portal_url}")
        show("delete_applied_coupon('acme-1', '1a901a90-...')",
             lambda: customers.delete_applied_coupon("acme-1", "1a901a90-1a90-1a90-1a90-1a901a901a90"),
             lambda r: f"200 coupon_code={r.applied_coupon.coupon_code}")
        show("destroy_customer('acme-1')", lambda: customers.destroy_customer("acme-1"),
             lambda r: f"200 deleted external_id={r.customer.external_id}")

        sent = len(lago.requests)
        try:
            customers.create_customer({"customer": {"external_id": "acme-2", "currency": "euro"}})
        except RequestValidationError as exc:
            assert len(lago.requests) == sent, "a rejected request must not be sent"
            print(f"\nRejected before sending (server saw nothing):\n  {exc}")
        try:
            customers.find_customer("acme-1")
        except NotFoundError as exc:
            print(f"\nMapped to its exception: NotFoundError(status={exc.status}, code={exc.code!r})")
    print("\ndemo: ok")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _demo, "ops": _ops, "describe": _describe, "call": _call, "stubs": _stubs, "diff": _diff,
}
