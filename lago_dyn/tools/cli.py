# PYTHON_ARGCOMPLETE_OK  (argcomplete's marker: shell completion of operation names)
"""`python -m lago_dyn` / `lago-dyn`: the demo, operations from the shell, and LocalLago as a server.

    lago-dyn demo                            every call of the Customers API against a local Lago
    lago-dyn ops [--tag T] [--json]          the operations of a spec
    lago-dyn describe OP [--example|--json]  what help() shows, with the body's fields and an example
    lago-dyn call OP --param k=v --data @body.json [--all-pages] [--json]
    lago-dyn serve [--port N] [--seed F] [--record F]    LocalLago until Ctrl-C or SIGTERM (--api-key: the one key it accepts)
    lago-dyn stubs SPEC -o DIR               typed .pyi stubs for mypy/pyright
    lago-dyn diff OLD NEW [--format text|markdown|json] [--breaking-only]
    lago-dyn events backfill SOURCE... --map FIELD=COLUMN,... --checkpoint DIR [--failures FILE] [--dask ADDRESS]

Global options (`--spec`, `--api-key`, `--base-url`, `--overlay`) go before or after the subcommand. Every failure is
one line on stderr and exit status 1 (2 for a usage error), never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import inspect
import json
import os
import sys
from typing import Any, Callable, Iterable, NoReturn, Sequence

from ..errors import LagoDynError

#: Exceptions whose text is ours (or the user's own input's): shown as they are. Anything else is a bug.
EXPECTED = (LagoDynError, OSError, ValueError, TypeError)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Usage errors, like every other failure, are one line (argparse prints the whole usage)."""
        self.exit(2, f"{self.prog}: usage error: {message} (see {self.prog} --help)\n")


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """`--spec`, `--api-key`, `--base-url`: on the main parser with defaults, and on each subcommand
    with no default, so that a value given before the subcommand is not reset after it."""
    options = _Parser(add_help=False)
    default: Any = argparse.SUPPRESS if suppress else None
    options.add_argument("--spec", default=default, help="spec path or URL (default: the Customers spec lago_dyn ships)")
    options.add_argument("--api-key", default=default, help="API key (default: $LAGO_API_KEY)")
    options.add_argument("--base-url", default=default, help="API base URL (default: the spec's first server)")
    options.add_argument("--overlay", action="append", default=default, metavar="FILE",
                         help="an Overlay applied to the spec (a file, or a shipped name like lago-fixes); repeatable")
    return options


def build_parser() -> argparse.ArgumentParser:
    shared = [_global_options(suppress=True)]
    parser = _Parser(prog="lago-dyn", description="A Lago API client built from the OpenAPI spec.",
                     parents=[_global_options(suppress=False)])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", parents=shared, help="run every Customers API call against a local, spec-driven Lago")
    ops = commands.add_parser("ops", parents=shared, help="list the operations")
    ops.add_argument("--tag", help="only this tag (snake_cased, e.g. customers)")
    ops.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    describe = commands.add_parser("describe", parents=shared,
                                   help="an operation's signature, arguments, body and answer fields, examples")
    _operation_argument(describe)
    shown = describe.add_mutually_exclusive_group()
    shown.add_argument("--example", action="store_true", help="only an example request body (for `call --data @-`)")
    shown.add_argument("--json", action="store_true", help="everything as JSON")
    call = commands.add_parser("call", parents=shared, help="send a validated request and print the JSON answer")
    _operation_argument(call)
    call.add_argument("arguments", nargs="*", metavar="ARGUMENT",
                      help="arguments in the operation's positional order (`describe` shows it), e.g. "
                           "`call find_customer c-1`; parsed as JSON when they can be")
    call.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                      help="an argument (VALUE is parsed as JSON when it can be: 2, true, [\"a\"])")
    call.add_argument("--data", help="the request body: JSON text, @file.json, or @- for standard input")
    call.add_argument("--all-pages", action="store_true",
                      help="every item of a paginated list, page after page (progress on stderr)")
    call.add_argument("--json", action="store_true", help="compact JSON (one item per line with --all-pages)")
    serve = commands.add_parser("serve", parents=shared, help="run LocalLago, a spec-driven local Lago, until stopped")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    serve.add_argument("--seed", metavar="FILE", help="a JSON list of customers to preload")
    serve.add_argument("--record", metavar="FILE", help="append every request received as a JSON line (credentials redacted)")
    stubs = commands.add_parser("stubs", parents=shared, help="write .pyi stubs typing lago_dyn.Client for a spec")
    stubs.add_argument("stub_spec", metavar="SPEC", nargs="?", help="spec path or URL (default: --spec)")
    stubs.add_argument("-o", "--output", required=True, help="folder to write lago_dyn/__init__.pyi into")
    stubs.add_argument("--async", dest="asynchronous", action="store_true",
                       help="type lago_dyn.AsyncClient too (every operation awaited)")
    compare = commands.add_parser("diff", parents=shared, help="operations added, removed and changed between two specs")
    compare.add_argument("old")
    compare.add_argument("new")
    compare.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                         help="text (a table), markdown (breaking changes first, then by tag) or json")
    compare.add_argument("--json", action="store_const", dest="format", const="json", help="same as --format json")
    compare.add_argument("--breaking-only", action="store_true", help="only breaking changes")
    patch = commands.add_parser("overlay", parents=shared, help="write a spec with Overlays applied")
    patch.add_argument("overlay_spec", metavar="SPEC", help="the spec path or URL to patch")
    patch.add_argument("overlay_files", metavar="OVERLAY", nargs="+",
                       help="Overlay files or shipped names (lago-fixes), applied in order")
    patch.add_argument("-o", "--output", required=True, help="where to write the patched spec (.json: JSON, else YAML)")
    events = commands.add_parser("events", parents=shared, help="usage events in bulk (backfill)")
    event_commands = events.add_subparsers(dest="events_command", required=True, metavar="EVENTS_COMMAND")
    backfill = event_commands.add_parser(
        "backfill", parents=shared, help="send usage events from Parquet/CSV files to Lago, exactly once, resumable",
        description="Every row becomes an event, checked against the spec's event schema, sent in batches of 100 "
                    "through create_batch_events; a rerun with the same --checkpoint sends only what is not confirmed.")
    backfill.add_argument("sources", nargs="+", metavar="SOURCE", help="a Parquet or CSV file, or a folder of them")
    backfill.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN,...",
                          help="event fields from columns, e.g. transaction_id=id,code=metric,"
                               "external_subscription_id=sub,timestamp=ts,properties.region=region "
                               "(a field not mapped takes the column of its name)")
    backfill.add_argument("--default", action="append", default=[], metavar="FIELD=VALUE",
                          help="a value for rows without one (VALUE parsed as JSON when it can be); repeatable")
    backfill.add_argument("--checkpoint", required=True, metavar="DIR",
                          help="folder of finished batches (made if absent; one file per file or row group)")
    backfill.add_argument("--failures", metavar="FILE", help="JSON Lines report of rows not in Lago (appended to)")
    backfill.add_argument("--concurrency", type=int, default=8, metavar="N", help="requests in flight (default 8)")
    backfill.add_argument("--batch-size", type=int, default=100, metavar="N", help="events per request (at most 100)")
    backfill.add_argument("--dask", metavar="ADDRESS", help="a Dask scheduler (tcp://host:8786): each file or row "
                                                            "group a task; workers must see the files and DIR")
    backfill.add_argument("--quiet", action="store_true", help="no progress and no summary")
    backfill.add_argument("--json", action="store_true", help="the summary as JSON")
    return parser


def _operation_argument(parser: argparse.ArgumentParser) -> None:
    action = parser.add_argument("operation", help="Python name or operationId (create_customer, createCustomer)")
    action.completer = _complete_operations  # type: ignore[attr-defined]  # read by argcomplete


def _complete_operations(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    from ..client import load_spec

    try:
        operations = load_spec(getattr(parsed_args, "spec", None)).operations
    except LagoDynError:
        return []
    return [name for name in operations if name.startswith(prefix)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asks for completions (see README: completion)
        try:
            import argcomplete
        except ImportError:
            return 1
        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    try:
        status = COMMANDS[args.command](args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # `lago-dyn ops | head -1`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a file or a port: said in our words, with the name the user gave
        return _fail(_os_problem(exc, args))
    except EXPECTED as exc:
        return _fail(f"{type(exc).__name__}: {_one_line(str(exc))}")
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        return _fail(f"unexpected {type(exc).__name__} (a bug in lago-dyn; please report the command you ran)")


def _fail(message: str) -> int:
    print(f"lago-dyn: {message}", file=sys.stderr)
    return 1


def _one_line(text: str) -> str:
    """A multi-line message (a validation error's bullet list) joined into one line: the list after its
    heading's colon, its items joined with "; "."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head, items = lines[0], [line[2:] if line.startswith("- ") else line for line in lines[1:]]
    return f"{head} {'; '.join(items)}" if head.endswith(":") and items else "; ".join([head, *items])


#: What an OSError's errno means, in our words (the exception's own text is the C library's).
_OS_PROBLEMS = {errno.ENOENT: "no such file", errno.EACCES: "permission denied", errno.EISDIR: "is a directory",
                errno.ENOSPC: "no space left on the device", errno.EADDRINUSE: "is in use by another program",
                errno.EADDRNOTAVAIL: "is not an address of this machine"}


def _os_problem(exc: OSError, args: argparse.Namespace) -> str:
    problem = _OS_PROBLEMS.get(exc.errno or 0, f"cannot be used ({type(exc).__name__}, errno {exc.errno})")
    if exc.filename is not None:
        return f"{exc.filename}: {problem}"
    if args.command == "serve":
        return f"port {args.port} on {args.host} {problem}" if exc.errno == errno.EADDRINUSE else \
            f"cannot listen on {args.host}:{args.port}: {problem}"
    return f"{type(exc).__name__}: {problem}"


def _client(args: argparse.Namespace, **kwargs: Any) -> Any:
    from ..client import Client

    return Client(args.spec, base_url=args.base_url, api_key=args.api_key, overlays=args.overlay, **kwargs)


def _print_json(value: Any, compact: bool = False) -> None:
    if compact:
        print(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    else:
        print(json.dumps(value, indent=2, ensure_ascii=False))


def _ops(args: argparse.Namespace) -> int:
    from ..binding import functions as binding

    client = _client(args)
    if args.tag and args.tag not in client.tags:
        raise ValueError(f"no tag {args.tag!r}; tags: {', '.join(sorted(client.tags))}")
    names = binding.members(client.tags[args.tag]) if args.tag else sorted(client.operations)
    operations = [client.operations[name].operation for name in names]
    if args.json:
        _print_json([{"name": op.name, "operation_id": op.operation_id, "method": op.method, "path": op.path,
                      "tags": list(op.tags), "summary": op.summary} for op in operations])
        return 0
    if args.tag and binding.summary(client.tags[args.tag]):
        print(f"{args.tag}: {binding.summary(client.tags[args.tag])}")
    for operation in operations:
        print(f"{operation.name:<48} {operation.method:<6} {operation.path}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    import inspect

    from ..binding import describe

    client = _client(args)
    function = client.operation(args.operation)
    operation = function.operation
    if args.example:
        if operation.body is None:
            raise ValueError(f"{operation.name} takes no request body")
        _print_json(describe.example_body(client.spec, operation, client.spec.validators))
        return 0
    if args.json:
        body, answer = describe.body(client.spec, operation), describe.answer(client.spec, operation)
        _print_json({
            "name": operation.name, "operation_id": operation.operation_id, "method": operation.method,
            "path": operation.path, "tags": list(operation.tags), "summary": operation.summary,
            "description": operation.description, "signature": f"{operation.name}{inspect.signature(function)}",
            "parameters": [{"name": p.python_name, "in": p.location, "wire_name": p.name, "required": p.required,
                            "type": describe.describe_parameter(client.spec, p), "description": p.description}
                           for p in operation.parameters],
            "body": body.to_json() if body else None,
            "answer": answer.to_json() if answer else None,
        })
        return 0
    print(f"{function.__name__}{inspect.signature(function)}\n")
    print(function.__doc__)
    return 0


def _call(args: argparse.Namespace) -> int:
    client = _client(args)
    function = client.operation(args.operation)
    positional = _positional(client, function, args.arguments)
    kwargs: dict[str, Any] = {}
    for item in args.param:
        name, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"--param {item!r}: expected NAME=VALUE")
        kwargs[name] = _json_or_text(value)
    if args.data is not None:
        body_name = function.operation.body.python_name if function.operation.body else "body"
        kwargs[body_name] = _read_body(args.data)
    if args.all_pages:
        from ..progress import track

        items: Iterable[Any] = track(client.paginate(function.__name__, *positional, **kwargs),
                                     desc=function.__name__)
        if args.json:
            for item in items:
                _print_json(item, compact=True)
        else:
            _print_json(list(items))
        return 0
    result = function(*positional, **kwargs)
    if isinstance(result, (bytes, str)):
        print(result if isinstance(result, str) else result.decode("utf-8", "replace"))
    else:
        _print_json(result, compact=args.json)
    return 0


def _read_body(data: str) -> Any:
    """`--data`: JSON text, `@file.json`, or `@-` (standard input, e.g. from `describe --example`)."""
    if data == "@-":
        text = sys.stdin.read()
    elif data.startswith("@"):
        with open(data[1:], encoding="utf-8") as file:
            text = file.read()
    else:
        text = data
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"--data is not valid JSON (line {exc.lineno}, column {exc.colno})") from None  # type: ignore[attr-defined]


def _serve(args: argparse.Namespace) -> int:
    from ..client import load_spec
    from ..testing.serve import serve

    return serve(load_spec(args.spec, overlays=args.overlay), host=args.host, port=args.port, seed_file=args.seed,
                 record_file=args.record, api_key=args.api_key)


def _events(args: argparse.Namespace) -> int:
    from ..backfill import backfill
    from ..backfill.mapping import parse_pairs

    defaults = {field: _json_or_text(value) for field, value in parse_pairs(args.default, "default")}
    summary = backfill(args.sources, spec=args.spec, base_url=args.base_url, api_key=args.api_key,
                       mapping=dict(parse_pairs(args.map, "mapping")), defaults=defaults, checkpoint=args.checkpoint,
                       failures=args.failures, concurrency=args.concurrency, batch_size=args.batch_size,
                       cluster=args.dask, quiet=args.quiet,
                       client_options={"overlays": args.overlay} if args.overlay else None)
    if args.json:
        _print_json(summary.to_dict(), compact=True)
    elif not args.quiet:
        print(summary)
    left_out = summary.invalid + summary.refused + summary.unsent
    if left_out:
        where = f"; see {args.failures}" if args.failures else " (--failures FILE lists them)"
        return _fail(f"{left_out} rows are not in Lago: {summary.invalid} invalid, {summary.refused} refused, "
                     f"{summary.unsent} unsent (a rerun with the same --checkpoint sends those){where}")
    return 0


def _stubs(args: argparse.Namespace) -> int:
    from . import stubs
    from ..client import load_spec

    path = stubs.write(load_spec(args.stub_spec or args.spec, overlays=args.overlay), args.output, args.asynchronous)
    print(f"wrote {path}; put {args.output} on MYPYPATH (mypy) or stubPath (pyright)")
    return 0


def _overlay(args: argparse.Namespace) -> int:
    """The upstream document as written, patched: no `nullable` rewriting, nothing resolved."""
    from ..spec import overlay
    from ..client import spec_transport
    from ..spec.source import Fetcher, parse_bytes, read_source

    data, _ = read_source(args.overlay_spec, Fetcher(open_transport=spec_transport))
    document = overlay.apply(parse_bytes(data, args.overlay_spec), args.overlay_files)
    overlay.write(document, args.output)
    print(f"wrote {args.output} ({len(args.overlay_files)} overlay(s) applied)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from . import diff
    from ..client import load_spec

    old, new = load_spec(args.old, overlays=args.overlay), load_spec(args.new, overlays=args.overlay)
    changes = diff.diff(old, new)
    if args.breaking_only:
        changes = diff.breaking_only(changes)
    if args.format == "json":
        _print_json(diff.as_json(changes))
    elif args.format == "markdown":
        tags = {name: (op.tags or ("untagged",))[0] for spec in (old, new) for name, op in spec.operations.items()}
        versions = [str((spec.root.get("info") or {}).get("version", "?")) for spec in (old, new)]
        print(diff.as_markdown(changes, tags, f"{new.title}: {versions[0]} -> {versions[1]}"), end="")
    else:
        print(diff.as_table(changes))
    return 0


def _positional(client: Any, function: Any, texts: list[str]) -> list[Any]:
    """Positional arguments from the command line: as text for a parameter whose schema takes a string
    (`call find_customer 123` means the customer "123"), else parsed as JSON when they can be."""
    from ..spec.schema import view

    by_name = {p.python_name: p for p in function.operation.parameters}
    order = [name for name, parameter in inspect.signature(function).parameters.items()
             if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    if len(texts) > len(order):
        raise ValueError(f"{function.__name__} takes at most {len(order)} positional arguments "
                         f"({', '.join(order) or 'none'}), not {len(texts)}")
    values = []
    for name, text in zip(order, texts):
        parameter = by_name.get(name)
        takes_text = parameter is not None and parameter.schema_uri is not None and \
            "string" in view(client.spec, parameter.schema_uri).types
        values.append(text if takes_text else _json_or_text(text))
    return values


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _demo(args: argparse.Namespace) -> int:
    from ..client import Client
    from ..errors import NotFoundError, RequestValidationError
    from ..testing import LocalLago

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
    "demo": _demo, "ops": _ops, "describe": _describe, "call": _call, "serve": _serve, "stubs": _stubs,
    "diff": _diff, "overlay": _overlay, "events": _events,
}
