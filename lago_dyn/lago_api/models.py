"""The generated client's models, made on first use: `models.Customer`, `models.CustomerCreateInput`,
`models.CustomerCreateInputCustomer`, ... (named as openapi-generator names them, see `names.py`).

A model *is* a result object: an `ApiObject` (a dict whose fields are attributes, a declared but absent
field reads None, `date-time` and `date` values are `datetime`s and `date`s, `decimal` ones `Decimal`s,
each giving back the exact JSON; `uuid` values stay strings, as generated) whose class names its schema. So there is one model layer with two faces: what `lago_dyn.Client` returns, read as
`resp.customer.name`, and what `lago_api` returns, read the same way and also `isinstance(resp,
Customer)`, `Customer.from_dict(...)`, `resp.to_dict()`, `resp.to_json()`, `resp.to_str()`.

Constructing a model with keyword arguments checks them against its schema (a `ModelValidationError`
names each field's path and rule); `from_dict`/`from_json` read data as it is, as results are read
(answers are validated by the call that received them). A keyword argument given as None is left out,
as the generated `to_dict()` leaves it out.

The models here are those of the default spec (`LAGO_DYN_SPEC`, else the spec lago_dyn ships); an
`ApiClient` for another spec returns models of its own (`api_client.models.Customer`). Submodules work as
in the generated package: `from lago_dyn.lago_api.models.customer import Customer`.
"""

from __future__ import annotations

import enum
import importlib.abc
import importlib.machinery
import json
import pprint
import re
import sys
import threading
import uuid
from typing import Any, ClassVar

from ..codecs import media as codecs
from ..errors import ModelValidationError
from ..models import ApiObject, parse_json, shape
from ..spec.model import Spec
from ..spec.schema import view
from ..suggest import did_you_mean
from ..validation import WRITE
from .names import ModelNames, model_needed, nullable_branch

#: Lets `lago_dyn.lago_api.models.customer` be imported (see `_ModelSubmodules`).
__path__: list[str] = []


class Model(ApiObject):
    """Base of every model class. Instances are ApiObjects; the class knows its schema."""

    __slots__ = ()
    _models: ClassVar["ModelNamespace"]
    _schema_uri: ClassVar[str]

    def __new__(cls, **fields: Any) -> "Model":
        given = {name: value for name, value in fields.items() if value is not None}
        try:
            data = codecs.to_json_data(given, cls.__name__)
        except codecs.BodyError as problem:
            raise ModelValidationError(cls.__name__, [problem.violation]) from None
        violations = cls._models.spec.validators.violations(cls._schema_uri, data, "", WRITE, formats=True)
        if violations:
            raise ModelValidationError(cls.__name__, violations)
        return cls._models.adopt(parse_json(json.dumps(data)), cls._schema_uri)

    def __init__(self, **fields: Any):  # filled by __new__ (also when read by from_dict)
        pass

    @classmethod
    def from_dict(cls, obj: Any) -> "Model | None":
        """A model from JSON-like data (a dict, or a model); None for None, as generated."""
        if obj is None:
            return None
        return cls._models.adopt(parse_json(codecs.to_json_text(obj, cls.__name__)[0]), cls._schema_uri)

    @classmethod
    def from_json(cls, json_str: str | bytes) -> "Model | None":
        return cls._models.adopt(parse_json(json_str), cls._schema_uri)

    def to_json(self, **kwargs: Any) -> str:
        """JSON text: a value read from an answer gives back exactly what was sent; a `datetime` set
        by hand is ISO 8601."""
        return json.dumps(self, default=_json_value, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.to_json())

    def to_str(self) -> str:
        return pprint.pformat(self.to_dict())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in dict.items(self))
        return f"{type(self).__name__}({fields})"

    def __deepcopy__(self, memo: dict[int, Any]) -> "Model":
        copied = ApiObject.__deepcopy__(self, memo)
        copied.__class__ = type(self)
        return copied  # type: ignore[return-value]

    def __copy__(self) -> "Model":
        copied = ApiObject.__copy__(self)
        copied.__class__ = type(self)
        return copied  # type: ignore[return-value]


class ModelNamespace:
    """The model classes of one spec, each made on first use and kept."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.names = ModelNames(spec)
        self._classes: dict[str, type[Model]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> type[Model]:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.model(name)

    def __dir__(self) -> list[str]:
        return sorted(self.names.uris)

    def _choose_hint(self) -> str:
        """For the module-level models only: which spec they come from, and how to choose another."""
        from .configuration import _fixed, _in_use, describe_spec_in_use

        return f"; {describe_spec_in_use()}" if _fixed and _in_use is self.spec else ""

    def model(self, name: str) -> type[Model]:
        known = self._classes.get(name)
        if known is not None:
            return known
        uri = self.names.uris.get(name)
        if uri is None:
            raise AttributeError(f"{self.spec.title} has no model {name!r}{did_you_mean(name, self.names.uris)}"
                                 f"{self._choose_hint()}")
        found = view(self.spec, uri)
        if model_needed(self.spec, found):
            made: Any = type(name, (Model,), {"__slots__": (), "_models": self, "_schema_uri": uri,
                                              "__module__": __name__, "__qualname__": name,
                                              "__doc__": _schema_doc(self.spec, uri, name)})
        elif isinstance(found.node.get("enum"), list) and all(isinstance(v, str) for v in found.node["enum"]):
            made = _string_enum(name, found.node["enum"])  # its own enum: one lent by an `allOf` part is that part's model
        else:
            raise AttributeError(f"{name} is not an object or string enum schema in {self.spec.title}; "
                                 "its values are plain JSON values (str, int, list, dict)")
        with self._lock:
            return self._classes.setdefault(name, made)

    def for_schema(self, uri: str | None) -> type[Model] | None:
        """The model class of an object schema (None for any other schema)."""
        name = self.names.name_of(uri) if uri is not None else None
        if name is None:
            return None
        try:
            made = self.model(name)
        except AttributeError:
            return None
        return made if isinstance(made, type) and issubclass(made, Model) else None

    def adopt(self, data: Any, uri: str | None) -> Any:
        """`data` (parsed ApiObjects) with every object that follows a model's schema made that model,
        and `date-time`, `date`, `uuid` and `decimal` strings typed (the JSON is remembered)."""
        if uri is None:
            return data
        self._adopt(shape(self.spec, uri, data, typed=True), uri, 0)
        return data

    def _adopt(self, data: Any, uri: str, depth: int) -> None:
        if depth > 60:
            return
        found = view(self.spec, uri)
        wrapped = nullable_branch(self.spec, found)
        if wrapped is not None:
            self._adopt(data, wrapped, depth + 1)
            return
        if type(data) is list and found.items is not None:
            for index, item in enumerate(data):
                if isinstance(item, uuid.UUID):
                    data[index] = _as_sent(item)
                self._adopt(item, found.items, depth + 1)
            return
        if not isinstance(data, ApiObject):
            return
        resolved, properties = found.resolved, found.properties
        for name, value in dict.items(data):
            if isinstance(value, uuid.UUID):
                data[name] = _as_sent(value)
            elif name in properties and isinstance(value, (ApiObject, list)):
                self._adopt(value, properties[name], depth + 1)
        model = self.for_schema(resolved)
        if model is not None and type(data) is ApiObject:
            data.__class__ = model


def _as_sent(value: Any) -> Any:
    """A `uuid` value stays the string that was sent: the generated models type it `str`, and code that
    compares `customer.lago_id == "..."` must keep working."""
    return getattr(value, "sent", str(value))


def _json_value(value: Any) -> Any:
    sent = getattr(value, "sent", _NOTHING)
    return codecs.json_default(value) if sent is _NOTHING else sent


_NOTHING = object()


def _string_enum(name: str, values: list[str]) -> Any:
    """A string enum schema as the generated `class Currency(str, Enum)`: members named by their values
    in upper case (`Currency.USD`, `Status.ACTIVE`), each equal to its string."""
    members: dict[str, str] = {}
    for value in values:
        member = re.sub(r"[^0-9A-Za-z]+", "_", value).strip("_").upper() or "EMPTY"
        members.setdefault(member if member[0].isalpha() else f"VALUE_{member}", value)
    return enum.Enum(name, members, type=str, module=__name__, qualname=name)


def _schema_doc(spec: Spec, uri: str, name: str) -> str:
    found = view(spec, uri)
    description = found.node.get("description")
    fields = ", ".join(sorted(found.properties))
    return f"{name}: {' '.join(str(description).split()) if description else 'a model of the spec'}\n\nFields: {fields}"


_namespaces_lock = threading.Lock()


def namespace(spec: Spec) -> ModelNamespace:
    """The models of `spec`: one namespace per Spec, kept on the Spec itself so it lives and dies with
    it, and shared by its ApiClients (so `Customer` is one class for all of them)."""
    with _namespaces_lock:
        return spec.__dict__.get("_lago_api_models") or spec.__dict__.setdefault("_lago_api_models",
                                                                                   ModelNamespace(spec))


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from .configuration import spec_in_use

    return namespace(spec_in_use()).model(name)


def __dir__() -> list[str]:
    from .configuration import spec_in_use

    return sorted({*globals(), *namespace(spec_in_use()).names.uris})


class _ModelSubmodules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import lago_dyn.lago_api.models.customer` as in the generated package: each such submodule
    reads its attributes from this module (any model name works in any of them)."""

    prefix = __name__ + "."

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.startswith(self.prefix) and "." not in fullname[len(self.prefix):]:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        module.__getattr__ = __getattr__  # type: ignore[attr-defined]
        module.__doc__ = f"The generated client's {module.__name__.rsplit('.', 1)[1]}.py: its models."


if not any(isinstance(finder, _ModelSubmodules) for finder in sys.meta_path):
    sys.meta_path.append(_ModelSubmodules())
