"""Loading the same spec again in one process (issue 15): a second `Client(same path)` reuses the parsed
`Spec` and its compiled validators; an edited file, other overlays, a changed file it refers to or
`cache_dir=False` give a fresh one. A JSON spec skips the disk cache, which would only store the same
JSON again."""

import json
import time

import pytest
import yaml

import lago_dyn
from conftest import API_KEY


def thing_spec(title="Things", ref=None):
    schema = {"$ref": ref} if ref else {"type": "object", "required": ["name"],
                                         "properties": {"name": {"type": "string"}}}
    return {"openapi": "3.0.3", "info": {"title": title, "version": "1"},
            "servers": [{"url": "http://127.0.0.1:9"}],
            "paths": {"/things": {"post": {
                "operationId": "createThing",
                "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                "responses": {"200": {"description": "ok"}}}}}}


def test_a_second_client_on_the_same_file_shares_the_spec_and_its_compiled_validators(lago):
    path = lago_dyn.default_spec_path()
    first = lago_dyn.Client(path, base_url=lago.base_url, api_key=API_KEY)
    first.create_customer({"customer": {"external_id": "c-1"}})
    compiled = first.spec.validators.compiled
    started = time.perf_counter()
    second = lago_dyn.Client(str(path), base_url=lago.base_url, api_key=API_KEY)
    elapsed = time.perf_counter() - started
    assert second.spec is first.spec
    second.create_customer({"customer": {"external_id": "c-2"}})
    assert second.spec.validators.compiled == compiled  # nothing compiled again
    assert elapsed < 0.25  # reading the operations again alone takes longer on a busy machine


def test_an_edited_file_is_loaded_afresh(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(thing_spec("Before")))
    before = lago_dyn.load_spec(path)
    assert lago_dyn.load_spec(path) is before
    path.write_text(yaml.safe_dump(thing_spec("After")))
    assert lago_dyn.load_spec(path).title == "After"


def test_other_overlays_or_cache_dir_false_give_another_spec(tmp_path):
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(thing_spec()))
    plain = lago_dyn.load_spec(path)
    renamed = lago_dyn.load_spec(path, overlays=[{"overlay": "1.0.0", "info": {"title": "t", "version": "1"},
                                                  "actions": [{"target": "$.info", "update": {"title": "Renamed"}}]}])
    assert (plain.title, renamed.title) == ("Things", "Renamed")
    assert lago_dyn.load_spec(path, cache_dir=False) is not plain


def test_a_changed_file_the_spec_refers_to_is_read_again(tmp_path):
    (tmp_path / "schemas.json").write_text(json.dumps({"Thing": {"type": "object", "required": ["name"]}}))
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(thing_spec(ref="schemas.json#/Thing")))
    client = lago_dyn.Client(str(path), api_key="k", profile=lago_dyn.GENERIC)
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_thing({})
    assert [v.location for v in caught.value.violations] == ["body.name"]
    (tmp_path / "schemas.json").write_text(json.dumps({"Thing": {"type": "object", "required": ["size"]}}))
    again = lago_dyn.load_spec(path)
    [violation] = again.validators.violations(again.operations["create_thing"].body.schema_uri, {}, "body", "write")
    assert violation.location == "body.size"


def test_a_json_spec_is_not_stored_in_the_disk_cache_and_a_yaml_one_is(tmp_path):
    cache = tmp_path / "cache"
    (tmp_path / "openapi.json").write_text(json.dumps(thing_spec("From JSON")))
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(thing_spec("From YAML")))
    assert lago_dyn.load_spec(tmp_path / "openapi.json", cache_dir=cache).title == "From JSON"
    assert not list(cache.glob("spec-*.json"))
    assert lago_dyn.load_spec(tmp_path / "openapi.yaml", cache_dir=cache).title == "From YAML"
    assert len(list(cache.glob("spec-*.json"))) == 1
