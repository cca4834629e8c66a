"""The spec cache believes only entries the current user wrote (issue 12, items 2 and 7): a planted entry
that moves `servers` to another host or removes `required` must never reach a client.

Each test first shows that a tampered entry the cache *does* trust changes what is loaded (so the planted
entry is a real threat, not a file the cache would skip anyway), then makes it untrusted in one way and
checks that the spec is parsed afresh, with the real servers and rules."""

import json
import logging
import os
import stat

import pytest

import lago_dyn
from lago_dyn.spec import cache

PLANTED_SERVER = "https://attacker.example/api/v1"
OTHER_UID = 4242


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(lago_dyn.default_spec_path().read_bytes())
    return path


def the_entry(folder):
    [entry] = folder.glob("spec-*.json")
    return entry


def tamper(entry):
    """What an attacker writes: another host for the key, and no required fields in create_customer."""
    content = json.loads(entry.read_text())
    content["document"]["servers"] = [{"url": PLANTED_SERVER}]
    schemas = content["document"]["components"]["schemas"]
    schemas["CustomerCreateInput"]["properties"]["customer"].pop("required", None)
    entry.write_text(json.dumps(content))


def assert_real_spec(spec):
    assert spec.root["servers"][0]["url"] != PLANTED_SERVER
    customer = spec.root["components"]["schemas"]["CustomerCreateInput"]["properties"]["customer"]
    assert customer["required"] == ["external_id"]
    client = lago_dyn.Client(spec, base_url="http://127.0.0.1:9", api_key="k")
    with pytest.raises(lago_dyn.RequestValidationError):  # the rule still holds: nothing is sent
        client.create_customer({"customer": {"name": "no external_id"}})


@pytest.fixture
def planted(folder, source):
    """A cache entry for `source`, tampered, and proven to be believed while it is trusted."""
    lago_dyn.load_spec(source, cache_dir=folder)
    entry = the_entry(folder)
    tamper(entry)
    believed = lago_dyn.load_spec(source, cache_dir=folder)
    assert believed.root["servers"] == [{"url": PLANTED_SERVER}]
    return entry


def load_fresh_and_check(source, folder, log_records, reason):
    spec = lago_dyn.load_spec(source, cache_dir=folder)
    assert_real_spec(spec)
    assert any(reason in record.getMessage() for record in log_records.records
               if record.name == "lago_dyn" and record.levelno == logging.DEBUG), log_records.text


def test_the_cache_folder_is_private(folder, source):
    lago_dyn.load_spec(source, cache_dir=folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(the_entry(folder).stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a file of another owner needs root (os.chown)")
def test_an_entry_of_another_owner_is_ignored_and_rewritten(planted, folder, source, log_records):
    os.chown(planted, OTHER_UID, OTHER_UID)
    load_fresh_and_check(source, folder, log_records, f"owned by uid {OTHER_UID}")
    assert the_entry(folder).stat().st_uid == os.geteuid()  # rewritten by us
    assert_real_spec(lago_dyn.load_spec(source, cache_dir=folder))


def test_a_world_writable_entry_is_ignored_and_rewritten(planted, folder, source, log_records):
    os.chmod(planted, 0o666)
    load_fresh_and_check(source, folder, log_records, "writable by group or others (mode 666)")
    assert stat.S_IMODE(the_entry(folder).stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a folder of another owner needs root (os.chown)")
def test_a_folder_of_another_owner_is_ignored_and_not_written(planted, folder, source, log_records):
    os.chown(folder, OTHER_UID, OTHER_UID)
    load_fresh_and_check(source, folder, log_records, f"owned by uid {OTHER_UID}")
    assert PLANTED_SERVER in planted.read_text()  # we did not write into someone else's folder


def test_a_group_writable_folder_is_ignored(planted, folder, source, log_records):
    os.chmod(folder, 0o770)
    load_fresh_and_check(source, folder, log_records, "writable by group or others (mode 770)")


def test_a_symlinked_entry_is_not_followed_and_is_replaced(planted, folder, source, tmp_path, log_records):
    elsewhere = tmp_path / "elsewhere.json"
    planted.rename(elsewhere)
    planted.symlink_to(elsewhere)
    load_fresh_and_check(source, folder, log_records, "without following links")
    assert not the_entry(folder).is_symlink()
    assert PLANTED_SERVER in elsewhere.read_text()  # the link's target was neither read nor written


def test_an_oversized_entry_is_not_read(planted, folder, source, log_records):
    content = planted.read_bytes()
    with open(planted, "ab") as handle:  # still a valid, trusted-looking entry: JSON ignores the spaces
        handle.write(b" " * (cache.MAX_ENTRY_BYTES + 1 - len(content)))
    load_fresh_and_check(source, folder, log_records, "over the 67,108,864-byte limit")
    assert the_entry(folder).stat().st_size < 1024 * 1024


@pytest.mark.parametrize("document", [[], {}, {"openapi": "3.1.0"}, {"openapi": 3.1, "paths": {}},
                                      {"openapi": "3.1.0", "paths": []}])
def test_an_entry_that_is_not_a_spec_is_ignored_and_rewritten(planted, folder, source, log_records, document):
    content = json.loads(planted.read_text())
    planted.write_text(json.dumps({**content, "document": document}))
    load_fresh_and_check(source, folder, log_records, "does not have the shape of an OpenAPI document")
    assert_real_spec(lago_dyn.load_spec(source, cache_dir=folder))  # rewritten: the next load is right too


@pytest.mark.parametrize("raw", [b"[]", b"{}", b"nope", b""])
def test_an_entry_that_is_not_an_entry_is_ignored(planted, folder, source, log_records, raw):
    planted.write_bytes(raw)
    assert_real_spec(lago_dyn.load_spec(source, cache_dir=folder))


def test_an_entry_from_another_lago_dyn_version_is_not_trusted(planted, folder, source, log_records, monkeypatch):
    monkeypatch.setattr(lago_dyn._version, "__version__", "99.0.0")
    load_fresh_and_check(source, folder, log_records, "its lago_dyn is '0.1.0', not '99.0.0'")


def test_an_entry_for_other_bytes_is_not_trusted(planted, folder, source, log_records):
    content = json.loads(planted.read_text())  # the entry says which bytes it was parsed from
    planted.write_text(json.dumps({**content, "sha256": "0" * 64}))
    load_fresh_and_check(source, folder, log_records, "its sha256 is")
