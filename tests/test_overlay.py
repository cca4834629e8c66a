"""Overlays: the Overlay 1.0 specification's own examples, errors that name the action, loading by path,
dict or shipped name, the spec cache keyed on the overlays, and Client(overlays=...)."""

import copy
import logging

import pytest
import yaml

import lago_dyn
from lago_dyn.spec import overlay
from lago_dyn.spec.loader import load_document


def overlay_of(*actions):
    return {"overlay": "1.0.0", "info": {"title": "test overlay", "version": "1.0.0"}, "actions": list(actions)}


def pets_api():
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1.0.0"},
        "paths": {
            "/foo": {"get": {"description": "old foo", "parameters": [
                {"name": "filter", "in": "query"}, {"name": "dummy", "in": "query"}, {"name": "filter", "in": "header"},
            ]}},
            "/bar": {"get": {"description": "old bar", "parameters": [{"name": "dummy", "in": "query"}]}},
        },
    }


# -- the examples of the Overlay Specification 1.0.0 ("Examples" section) ------------------------------

def test_targeted_overlay_example_merges_updates_into_the_selected_objects():
    document = overlay.apply(pets_api(), [overlay_of(
        {"target": "$.paths['/foo'].get", "update": {"description": "This is the new description"}},
        {"target": "$.paths['/bar'].get", "update": {"description": "This is the updated description"}},
        {"target": "$.paths['/bar']",
         "update": {"post": {"description": "This is an updated description of a child object", "x-safe": False}}},
    )])
    assert document["paths"]["/foo"]["get"]["description"] == "This is the new description"
    assert document["paths"]["/bar"]["get"] == {"description": "This is the updated description",
                                                "parameters": [{"name": "dummy", "in": "query"}]}
    assert document["paths"]["/bar"]["post"] == {
        "description": "This is an updated description of a child object", "x-safe": False}


def test_wildcard_overlay_example_updates_every_match_of_a_filter():
    document = overlay.apply(pets_api(), [overlay_of(
        {"target": "$.paths.*.get", "update": {"x-safe": True}},
        {"target": "$.paths.*.get.parameters[?@.name=='filter' && @.in=='query']",
         "update": {"schema": {"$ref": "/components/schemas/filterSchema"}}},
    )])
    assert all(item["get"]["x-safe"] is True for item in document["paths"].values())
    parameters = document["paths"]["/foo"]["get"]["parameters"]
    assert parameters[0] == {"name": "filter", "in": "query", "schema": {"$ref": "/components/schemas/filterSchema"}}
    assert "schema" not in parameters[2]  # the header parameter of the same name is not selected


def test_array_modification_examples_append_to_and_remove_from_arrays():
    added = overlay.apply(pets_api(), [overlay_of(
        {"target": "$.paths.*.get.parameters", "update": {"name": "newParam", "in": "query"}})])
    assert [p["name"] for p in added["paths"]["/foo"]["get"]["parameters"]] == ["filter", "dummy", "filter", "newParam"]
    assert [p["name"] for p in added["paths"]["/bar"]["get"]["parameters"]] == ["dummy", "newParam"]
    removed = overlay.apply(pets_api(), [overlay_of(
        {"target": "$.paths.*.get.parameters[?@.name == 'dummy']", "remove": True})])
    assert [p["in"] for p in removed["paths"]["/foo"]["get"]["parameters"]] == ["query", "header"]
    assert removed["paths"]["/bar"]["get"]["parameters"] == []


def test_update_merges_objects_recursively_appends_arrays_and_replaces_primitives():
    document = {"info": {"title": "A", "contact": {"name": "x"}}, "tags": [{"name": "a"}]}
    overlay.apply(document, [overlay_of(
        {"target": "$", "update": {"info": {"title": "B", "contact": {"email": "e@x"}}, "tags": [{"name": "b"}]}})])
    assert document == {"info": {"title": "B", "contact": {"name": "x", "email": "e@x"}},
                        "tags": [{"name": "a"}, {"name": "b"}]}


def test_actions_apply_in_order_each_to_the_result_of_the_previous_one():
    document = overlay.apply(pets_api(), [overlay_of(
        {"target": "$.paths['/bar']", "remove": True},
        {"target": "$.paths", "update": {"/bar": {"get": {"description": "recreated"}}}},
    )])
    assert document["paths"]["/bar"] == {"get": {"description": "recreated"}}


def test_remove_takes_primitive_array_items_and_keeps_the_others():
    document = {"components": {"schemas": {"W": {"required": ["id", "balance", "currency", "balance"]}}}}
    overlay.apply(document, [overlay_of({"target": "$.components.schemas.W.required[?@ == 'balance']", "remove": True})])
    assert document["components"]["schemas"]["W"]["required"] == ["id", "currency"]


# -- errors name the action ------------------------------------------------------------------------

def test_a_target_that_matches_nothing_is_an_error_naming_the_action():
    with pytest.raises(lago_dyn.SpecError) as raised:
        overlay.apply(pets_api(), [overlay_of(
            {"target": "$.info", "update": {"x-a": 1}},
            {"target": "$.paths['/baz'].get", "description": "Describe baz", "update": {"description": "d"}},
        )])
    message = str(raised.value)
    assert "action 2 (Describe baz)" in message and "$.paths['/baz'].get" in message
    assert "matches nothing" in message and "'test overlay'" in message


def test_must_match_in_skips_other_releases_with_a_log_line_but_fails_in_listed_ones(caplog):
    action = {"target": "$.components", "remove": True, "description": "Drop components",
              "x-lago-dyn-must-match-in": ["2.0.0"]}
    caplog.set_level(logging.INFO, logger="lago_dyn")
    assert overlay.apply(pets_api(), [overlay_of(action)]) == pets_api()
    assert "Drop components" in caplog.text and "skipped" in caplog.text and "'1.0.0'" in caplog.text
    listed = pets_api()
    listed["info"]["version"] = "2.0.0"
    with pytest.raises(lago_dyn.SpecError, match=r"action 1 \(Drop components\).*matches nothing"):
        overlay.apply(listed, [overlay_of(action)])


@pytest.mark.parametrize("action, expected", [
    ({"target": "$.paths[", "update": {}}, r"not a valid RFC 9535 JSONPath query \(near character"),
    ({"target": "$.paths['/foo'].get.description", "update": {"a": 1}}, r"cannot merge an object into a primitive"),
    ({"target": "$.paths['/foo']", "update": {"get": "text"}}, r"cannot merge a primitive value into an object"),
    ({"target": "$", "remove": True}, r"cannot remove the document's root"),
])
def test_invalid_targets_and_merges_are_errors_naming_the_action(action, expected):
    with pytest.raises(lago_dyn.SpecError, match=r"action 1 \(.*\): .*" + expected):
        overlay.apply(pets_api(), [overlay_of(action)])


@pytest.mark.parametrize("document, expected", [
    ([], "a path, a shipped name or a dict, not list"),
    ({"overlay": "2.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$", "remove": True}]},
     "overlay: must be the Overlay Specification version"),
    ({"overlay": "1.0.0", "info": {"title": "t"}, "actions": [{"target": "$", "remove": True}]},
     "info: must be a mapping with a string 'title' and 'version'"),
    ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": []}, "actions: must be a non-empty list"),
    (overlay_of({"target": "paths", "remove": True}), "actions[0].target: must be a JSONPath query string"),
    (overlay_of({"target": "$.a"}), "actions[0]: has neither 'update' nor 'remove: true'"),
    (overlay_of({"target": "$.a", "remove": "yes"}), "actions[0].remove: must be true or false, got str"),
    (overlay_of({"target": "$.a", "remove": True, "replace": 1}), "actions[0]: unknown field(s) 'replace'"),
    (overlay_of({"target": "$.a", "copy": "$.b"}), "copy actions (Overlay 1.1) are not supported"),
])
def test_an_overlay_of_the_wrong_shape_is_refused_before_anything_is_applied(document, expected):
    before = pets_api()
    target = copy.deepcopy(before)
    with pytest.raises(lago_dyn.SpecLoadError) as raised:
        overlay.apply(target, [document])
    assert expected in str(raised.value)
    assert target == before


# -- loading and the places overlays plug in -------------------------------------------------------

def test_overlays_load_from_a_yaml_file_a_dict_or_a_shipped_name(tmp_path):
    path = tmp_path / "fix.yaml"
    path.write_text(yaml.safe_dump(overlay_of({"target": "$.info", "update": {"title": "From a file"}})))
    assert overlay.apply(pets_api(), [str(path)])["info"]["title"] == "From a file"
    assert "lago-fixes" in overlay.shipped()
    assert overlay.load("lago-fixes").title == "lago-fixes"
    with pytest.raises(lago_dyn.SpecLoadError, match=r"not a shipped overlay .*did you mean 'lago-fixes'\?"):
        overlay.load("lago-fix")
    with pytest.raises(lago_dyn.SpecLoadError, match="takes a list of overlays"):
        overlay.apply(pets_api(), "lago-fixes")


def test_every_action_of_the_shipped_overlay_says_why():
    shipped = yaml.safe_load((overlay.SHIPPED_DIR / "lago-fixes.yaml").read_text())
    for action in shipped["actions"]:
        assert len(action["description"]) > 60 and action["x-lago-dyn-defect"]
        assert action["x-lago-dyn-must-match-in"]


def test_load_spec_applies_overlays_to_a_dict_spec_without_changing_the_callers_dict():
    source = pets_api()
    spec = lago_dyn.load_spec(source, overlays=[overlay_of({"target": "$.paths['/bar']", "remove": True})])
    assert [op.path for op in spec.operations.values()] == ["/foo"]
    assert source == pets_api()


def test_overlays_apply_before_nullable_is_rewritten():
    source = pets_api()
    source["components"] = {"schemas": {"Name": {"type": "string"}}}
    fix = overlay_of({"target": "$.components.schemas.Name", "update": {"nullable": True}})
    root = load_document(source, overlays=[fix]).root
    assert root["components"]["schemas"]["Name"] == {"type": ["string", "null"]}


def test_the_spec_cache_keys_on_the_overlays_content(tmp_path):
    spec_path = tmp_path / "pets.yaml"  # YAML: a JSON spec without overlays is not cached (nothing to gain)
    spec_path.write_text(yaml.safe_dump(pets_api()))
    cache_dir = tmp_path / "cache"

    def title(*overlays):
        return load_document(spec_path, cache_dir=cache_dir, overlays=list(overlays)).root["info"]["title"]

    first = overlay_of({"target": "$.info", "update": {"title": "First"}})
    second = overlay_of({"target": "$.info", "update": {"title": "Second"}})
    assert [title(), title(first), title(second), title(first, second), title()] == \
        ["Pets", "First", "Second", "Second", "Pets"]
    assert len(list(cache_dir.glob("spec-*.json"))) == 4
    assert title(second) == "Second"  # served from the cache: still its own entry


def test_client_takes_overlays_and_binds_the_patched_spec():
    plain = lago_dyn.Client()
    trimmed = lago_dyn.Client(overlays=[overlay_of(
        {"target": "$.paths['/customers/{external_id}'].delete", "description": "No deletes here", "remove": True})])
    assert "destroy_customer" in plain.operations
    assert "destroy_customer" not in trimmed.operations
    assert len(trimmed.operations) == len(plain.operations) - 1


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_write_gives_a_document_that_loads_back_the_same(tmp_path, suffix):
    document = overlay.apply(pets_api(), [overlay_of({"target": "$.info", "update": {"title": "Patched ✓"}})])
    path = tmp_path / f"out{suffix}"
    overlay.write(document, path)
    assert load_document(path, cache_dir=False).root == document


def test_the_overlay_command_writes_the_patched_spec(tmp_path):
    import subprocess
    import sys

    import yaml

    from conftest import shared_spec

    out = tmp_path / "patched.yaml"
    done = subprocess.run([sys.executable, "-m", "lago_dyn", "overlay", str(shared_spec("1.51.0")), "lago-fixes",
                           "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    patched = yaml.safe_load(out.read_text())
    wallet = patched["components"]["schemas"]["WalletObject"]
    assert "balance" not in wallet["required"] and "credits_balance" in wallet["required"]
    missing = subprocess.run([sys.executable, "-m", "lago_dyn", "overlay", str(shared_spec("1.51.0")), "no-such",
                              "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "not a shipped overlay" in missing.stderr
