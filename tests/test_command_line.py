"""`lago-dyn` as a shell user meets it: global options anywhere, one line and a status for every failure of
every subcommand, quiet on a closed pipe, JSON for scripts, diffs for pull requests, completion of
operation names, and every page of a list with its progress."""

import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import lago_dyn
from conftest import API_KEY, shared_spec
from test_cli_and_tools import cli


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_subcommand_fails_in_one_line_with_a_status(lago, tmp_path):
    bad_seed = tmp_path / "seed.json"
    bad_seed.write_text(json.dumps([{"external_id": "ok"}, {"external_id": 7}]))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    missing = str(tmp_path / "missing.yaml")
    base = ["--base-url", lago.base_url, "--api-key", API_KEY]
    cases = [  # (arguments, exit status, words the one stderr line must hold)
        (["--spec", missing, "demo"], 1, "SpecLoadError"),
        (["ops", "--tag", "nope"], 1, "no tag 'nope'; tags: customers"),
        (["ops", "--bogus"], 2, "usage error: unrecognized arguments: --bogus"),
        (["ops", "--spec", missing], 1, "no such file"),
        ([], 2, "usage error: the following arguments are required: COMMAND"),
        (["describe", "find_custmer"], 1, "did you mean 'find_customer'?"),
        (["describe", "find_customer", "--example"], 1, "find_customer takes no request body"),
        (["describe"], 2, "usage error: the following arguments are required: operation"),
        (["call", "create_customer", "--data", '{"customer": {"external_id": 1}}', *base], 1,
         "RequestValidationError: createCustomer: request is invalid (1 error): body.customer.external_id"),
        (["call", "create_customer", "--data", "{not json", *base], 1, "--data is not valid JSON (line 1, column 2)"),
        (["call", "create_customer", "--data", "@" + str(tmp_path / "none.json"), *base], 1,
         f"lago-dyn: {tmp_path / 'none.json'}: no such file"),
        (["call", "find_custmer", "c-1", *base], 1, "did you mean 'find_customer'?"),
        (["call", "find_customer", "nobody", *base], 1, "NotFoundError: findCustomer: HTTP 404"),
        (["call", "find_customer", "a", "b", *base], 1, "find_customer takes at most 1 positional arguments"),
        (["call", "find_customer", "--param", "external_id", *base], 1, "expected NAME=VALUE"),
        (["call", "find_customer", "--param", "external_customer_id=c", *base], 1,
         "unexpected keyword argument 'external_customer_id'; did you mean 'external_id'?"),
        (["call", "find_customer", "--param", "external_id=nobody", *base], 1, "NotFoundError"),
        (["call", "find_customer", "--param", "external_id=c", "--base-url", f"http://127.0.0.1:{closed_port()}",
          "--api-key", "k"], 1, "TransportError: GET http://127.0.0.1:"),
        (["call", "find_customer", "--param", "external_id=c", "--base-url", f"http://127.0.0.1:{closed_port()}",
          "--api-key", "k"], 1, "connection refused (127.0.0.1:"),
        (["call", "find_customer", "--param", "external_id=c", "--base-url", "http://127.0.0.1:9"], 1,
         "MissingCredentialsError: findCustomer: no credentials"),
        (["call", "find_customer", "--param", "external_id=c", "--base-url", "127.0.0.1:9/api/v1", "--api-key", "k"],
         1, "ConfigurationError: base_url must be an absolute http(s) URL"),
        (["call", "find_customer", "--all-pages", "--param", "external_id=c", *base], 1,
         "find_customer is not a paginated list operation"),
        (["serve", "--port", "abc"], 2, "usage error: argument --port: invalid int value: 'abc'"),
        (["serve", "--seed", str(tmp_path / "none.json")], 1, f"{tmp_path / 'none.json'}: no such file"),
        (["serve", "--seed", str(bad_seed)], 1, "--seed: customer #2:"),
        (["serve", "--port", str(listening.getsockname()[1])], 1,
         f"port {listening.getsockname()[1]} on 127.0.0.1 is in use by another program"),
        (["stubs"], 2, "usage error: the following arguments are required: -o/--output"),
        (["stubs", missing, "-o", str(tmp_path / "out")], 1, "no such file"),
        (["diff", missing, missing], 1, "no such file"),
        (["diff", missing, missing, "--format", "html"], 2, "invalid choice: 'html'"),
    ]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda case: cli(*case[0]), cases))
    finally:
        listening.close()
    for (arguments, status, words), result in zip(cases, results):
        where = f"lago-dyn {' '.join(arguments)}"
        assert result.returncode == status, f"{where}: {result.returncode} {result.stderr}"
        assert result.stderr.startswith("lago-dyn") and result.stderr.count("\n") == 1, f"{where}: {result.stderr}"
        assert "Traceback" not in result.stderr and words in result.stderr, f"{where}: {result.stderr}"
        assert result.stdout == "", where
        assert API_KEY not in result.stderr


def test_global_options_work_before_and_after_the_subcommand(lago):
    spec = str(shared_spec("1.51.0"))
    before = cli("--spec", spec, "ops", "--tag", "wallets")
    after = cli("ops", "--tag", "wallets", "--spec", spec)
    assert before.returncode == after.returncode == 0 and before.stdout == after.stdout
    assert "create_customer_wallet" in before.stdout
    body = json.dumps({"customer": {"external_id": "opt-1"}})
    for arguments in (["--api-key", "key-before", "--base-url", lago.base_url, "call", "create_customer", "--data", body],
                      ["call", "create_customer", "--data", body, "--base-url", lago.base_url, "--api-key", "key-after"]):
        result = cli(*arguments, env={"LAGO_API_KEY": "from-env"})
        assert result.returncode == 0, result.stderr
        assert lago.requests[-1].headers["Authorization"] == f"Bearer {arguments[arguments.index('--api-key') + 1]}"
    from_env = cli("call", "find_customer", "--param", "external_id=opt-1", "--base-url", lago.base_url,
                   env={"LAGO_API_KEY": "from-env"})
    assert from_env.returncode == 0 and lago.requests[-1].headers["Authorization"] == "Bearer from-env"


def test_a_closed_pipe_ends_quietly():
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first line is written, like `| head -1` after a line
    try:
        result = subprocess.run([sys.executable, "-m", "lago_dyn", "--spec", str(shared_spec("1.51.0")), "ops"],
                                stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(writer)
    assert result.returncode == 0 and result.stderr == ""
    shell = subprocess.run(f"'{sys.executable}' -m lago_dyn --spec '{shared_spec('1.51.0')}' ops | head -1",
                           shell=True, capture_output=True, text=True, timeout=60)
    assert shell.stdout.startswith("apply_coupon ") and shell.stdout.count("\n") == 1 and shell.stderr == ""


def test_json_output_for_ops_describe_and_call(lago):
    listed = json.loads(cli("ops", "--json").stdout)
    assert {"name": "find_customer", "operation_id": "findCustomer", "method": "GET",
            "path": "/customers/{external_id}", "tags": ["customers"], "summary": "Retrieve a customer"} in listed
    described = json.loads(cli("describe", "find_all_customers", "--json").stdout)
    assert described["body"] is None
    assert {"name": "per_page", "in": "query", "wire_name": "per_page", "required": False, "type": "integer",
            "description": "Number of records per page."} in described["parameters"]
    meta = next(f for f in described["answer"]["fields"] if f["name"] == "meta")
    next_page = next(c for c in meta["children"] if c["name"] == "next_page")
    assert (next_page["kind"], meta["required"]) == ("integer or null", True)
    called = cli("call", "create_customer", "--data", '{"customer": {"external_id": "j-1"}}', "--json",
                 "--base-url", lago.base_url, "--api-key", API_KEY)
    assert called.stdout.count("\n") == 1 and json.loads(called.stdout)["customer"]["external_id"] == "j-1"


def test_all_pages_prints_every_item_of_a_list(lago, default_spec):
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY) as client:
        for index in range(23):
            client.create_customer({"customer": {"external_id": f"p-{index:02d}"}})
    sent = len(lago.requests)
    lines = cli("call", "find_all_customers", "--all-pages", "--param", "per_page=10", "--json",
                "--base-url", lago.base_url, "--api-key", API_KEY)
    assert lines.returncode == 0, lines.stderr
    assert [json.loads(line)["external_id"] for line in lines.stdout.splitlines()] == [f"p-{i:02d}" for i in range(23)]
    assert [r.query for r in lago.requests[sent:]] == ["page=1&per_page=10", "page=2&per_page=10", "page=3&per_page=10"]
    pretty = cli("call", "find_all_customers", "--all-pages", "--base-url", lago.base_url, "--api-key", API_KEY)
    assert len(json.loads(pretty.stdout)) == 23


def test_diff_breaking_only_and_markdown():
    old, new = str(shared_spec("1.21.0")), str(shared_spec("1.51.0"))
    table = cli("diff", old, new, "--breaking-only").stdout.splitlines()
    rows = [line for line in table[2:] if line.startswith("|")]
    assert len(rows) > 31 and all(" | yes | " in row for row in rows)
    markdown = cli("diff", old, new, "--format", "markdown").stdout
    assert markdown.startswith("## Lago API documentation: 1.21.0 -> 1.51.0\n\n105 added, 0 removed, 72 changed, "
                               "31 with breaking changes.\n\n### Breaking changes\n\n")
    breaking, _, by_tag = markdown.partition("\n\n### ")[2].partition("\n\n### ")
    assert "- **find_all_customers** (customers): `query.account_type`: parameter removed" in breaking
    assert "new field" not in breaking  # only breaking changes in the first section
    tags = [line[4:] for line in ("### " + by_tag).splitlines() if line.startswith("### ")]
    assert tags == sorted(tags) and "wallets" in tags
    assert "- **create_customer_wallet_alert**: added" in markdown.split("### wallets")[1].split("###")[0]
    only = cli("diff", old, new, "--format", "markdown", "--breaking-only").stdout
    assert "- **create_customer_wallet_alert**: added" not in only and "### Breaking changes" in only


@pytest.mark.parametrize("line, expected", [
    ("lago-dyn describe create_cus", {"create_customer"}),
    ("lago-dyn call find_all_c", {"find_all_customer_past_usage", "find_all_customers"}),
])
def test_shell_completion_of_operation_names(tmp_path, line, expected):
    pytest.importorskip("argcomplete")
    output = tmp_path / "completions"
    result = subprocess.run([sys.executable, "-m", "lago_dyn"], capture_output=True, text=True, timeout=60, env={
        **os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(output), "_ARGCOMPLETE_IFS": "\n"})
    assert result.returncode == 0, result.stderr
    assert {word.strip() for word in output.read_text().splitlines()} == expected


def test_tag_group_typo_suggests_the_operation(client):
    with pytest.raises(AttributeError, match=r"did you mean 'find_customer'\?") as raised:
        client.customers.find_custmer
    assert isinstance(raised.value, lago_dyn.OperationNotFoundError)
    assert not hasattr(client.customers, "nothing_like_it")


def test_call_takes_arguments_in_the_operations_positional_order(lago):
    base = ["--base-url", lago.base_url, "--api-key", API_KEY]
    created = cli("call", "create_customer", '{"customer": {"external_id": "123", "name": "Acme"}}', *base)
    assert created.returncode == 0, created.stderr
    found = cli("call", "find_customer", "123", "--json", *base)  # "123" is a string parameter: kept as text
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["customer"]["name"] == "Acme"
