"""Results that behave like data: a Lago credit note (which has a field named `items`) survives pickle,
deepcopy, json, dict(), get() and ==; pprint prints it like a dict; declared-but-absent fields read
None; misspelt ones say "did you mean"; typed values go back to exactly the JSON the server sent."""

import copy
import datetime
import io
import json
import pickle
import pprint
import uuid
from decimal import Decimal

import pytest

import lago_dyn
from lago_dyn.models import ApiObject, parse_json, shape
from lago_dyn.testing import example


@pytest.fixture(scope="module")
def credit_note_answer(spec_1_51):
    """find_credit_note's answer, as the server sends it (the spec's example) and as the schema URI."""
    uri = spec_1_51.operations["find_credit_note"].responses["200"].content["application/json"]
    body = example(spec_1_51, spec_1_51.node_at(uri), use_examples=True, uri=uri)
    assert body["credit_note"]["items"], "the example credit note has items"
    return uri, json.dumps(body).encode()


@pytest.fixture
def credit_note(spec_1_51, credit_note_answer):
    uri, raw = credit_note_answer
    return shape(spec_1_51, uri, parse_json(raw))


def test_a_credit_note_with_items_survives_pickle_deepcopy_json_dict_get_and_eq(credit_note, credit_note_answer):
    sent = json.loads(credit_note_answer[1])
    note = credit_note.credit_note
    assert "items" in note and isinstance(note, ApiObject)
    assert pickle.loads(pickle.dumps(credit_note)) == credit_note == sent
    assert copy.deepcopy(credit_note) == sent and copy.copy(note) == note
    assert json.loads(json.dumps(credit_note)) == sent
    assert dict(note) == sent["credit_note"] and list(note.items()) == list(sent["credit_note"].items())
    assert note.get("items") == sent["credit_note"]["items"] and note.get("nope", 1) == 1
    assert note.keys() == sent["credit_note"].keys() and len(note.values()) == len(sent["credit_note"])
    copied = note.copy()
    copied.update({"number": "changed"})
    assert note.number != "changed"  # copy and update are dict methods, not fields


def test_fields_named_like_dict_methods_stay_reachable_by_attribute(credit_note):
    note = credit_note.credit_note
    assert note.items_ == note["items"] and note.items_[0].amount_cents == note["items"][0]["amount_cents"]
    for name in ("values", "keys", "get", "copy", "update"):
        holder = parse_json(json.dumps({name: 7, "from": 8}))
        assert getattr(holder, f"{name}_") == 7 and holder[name] == 7 and callable(getattr(holder, name))
        assert holder.from_ == 8
    assert "items_" in dir(note) and "total_amount_cents" in dir(note)


def test_pprint_prints_a_result_like_a_dict(credit_note):
    text = io.StringIO()
    pprint.pprint(credit_note, stream=text, width=200)  # wide enough for the longest atomic value
    lines = text.getvalue().splitlines()
    assert len(lines) > 20 and max(map(len, lines)) <= 200
    assert lines[0].startswith("{'credit_note': {") and "ApiObject" not in text.getvalue()
    assert repr(credit_note).startswith("{'credit_note'")


def test_a_declared_field_the_server_left_out_reads_none(credit_note):
    note = credit_note.credit_note
    del note["description"]
    assert note.description is None
    with pytest.raises(KeyError):
        note["description"]
    assert note.items_[0].fee.item.code == "startup"  # nested objects learn their schemas as they are read
    del note.items_[0].fee.item["name"]
    assert note.items_[0].fee.item.name is None


def test_an_undeclared_name_is_an_attribute_error_with_did_you_mean(credit_note):
    with pytest.raises(AttributeError, match=r"no field 'totl_amount_cents'; did you mean 'total_amount_cents'\?"):
        credit_note.credit_note.totl_amount_cents
    with pytest.raises(AttributeError, match=r"did you mean 'amount_cents'\?"):
        credit_note.credit_note.items_[0].amout_cents
    assert not hasattr(credit_note, "anything_else") and getattr(credit_note, "nothing", 5) == 5


def test_results_that_were_never_shaped_still_read_and_hint_from_their_own_fields():
    plain = parse_json(b'{"customer": {"external_id": "c-1"}}')
    assert plain.customer.external_id == "c-1"
    with pytest.raises(AttributeError, match=r"did you mean 'external_id'\?"):
        plain.customer.externl_id


def test_typed_results_give_python_values_and_to_dict_gives_back_the_json_sent(spec_1_51, credit_note_answer):
    uri, raw = credit_note_answer
    typed = shape(spec_1_51, uri, parse_json(raw), typed=True)
    note = typed.credit_note
    assert isinstance(note.created_at, datetime.datetime) and note.created_at.tzinfo is not None
    assert isinstance(note.issuing_date, datetime.date) and not isinstance(note.issuing_date, datetime.datetime)
    assert isinstance(note.lago_id, uuid.UUID) and isinstance(note.items_[0].lago_id, uuid.UUID)
    assert typed.to_dict() == json.loads(raw)
    assert json.loads(typed.to_json()) == json.loads(raw)
    assert pickle.loads(pickle.dumps(typed)).to_dict() == json.loads(raw)
    assert copy.deepcopy(typed).to_dict() == json.loads(raw)


def test_typed_values_keep_the_exact_text_and_leave_malformed_ones_alone():
    spec = lago_dyn.load_spec({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {
        "schemas": {"Thing": {"type": "object", "properties": {
            "at": {"type": "string", "format": "date-time"}, "on": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"}, "price": {"type": "string", "format": "decimal"},
            "ratio": {"type": "number", "format": "decimal"},
            "days": {"type": "array", "items": {"type": "string", "format": "date"}}}}}}})
    uri = "urn:lago-dyn:spec#/components/schemas/Thing"
    sent = {"at": "2024-02-29T23:59:59.123456+05:30", "on": "2024-02-29", "id": "A0000000-0000-0000-0000-00000000000F",
            "price": "12.50", "ratio": 0.1, "days": ["2024-01-01", "not a date"]}
    typed = shape(spec, uri, parse_json(json.dumps(sent)), typed=True)
    assert typed.price == Decimal("12.50") and str(typed.price) == "12.50" and typed.ratio == Decimal("0.1")
    assert typed.at.utcoffset() == datetime.timedelta(hours=5, minutes=30) and typed.at.microsecond == 123456
    assert typed.days == [datetime.date(2024, 1, 1), "not a date"]
    assert typed.id == uuid.UUID(int=0xA000000000000000000000000000000F)
    assert typed.to_dict() == sent



def test_a_call_result_reads_a_declared_but_absent_field_as_none(lago, default_spec):
    lago.reply("find_customer", 200, {"customer": {"lago_id": "1a901a90-1a90-1a90-1a90-1a901a901a90",
                                                   "external_id": "c-none", "created_at": "2024-01-01T00:00:00Z"}})
    client = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key="k", response_validation="off")
    customer = client.find_customer("c-none").customer
    assert customer.external_id == "c-none" and customer.name is None
    with pytest.raises(AttributeError, match="did you mean 'name'"):
        customer.nmae
