"""Load a valid entry without marshmallow's machinery; hand anything else to marshmallow.

`ResourceSchema().load` costs about 0.5 ms an entry, most of it marshmallow walking its own
hooks, copying nested schemas and storing errors, not the checks themselves. `compile_schema`
turns a schema into one plain function that runs the same field checks (each field's own
`deserialize`, so the same rules and validators) and the schema's `@validates_schema` rules, and
gives up (`Slow`) at the first thing out of the ordinary: a problem, an unknown key, a missing
required key, a value of an unexpected shape. An entry that gives up is loaded by marshmallow,
which reports every problem with its own message, so messages never depend on this module; it
only has to agree with marshmallow on entries that have none (tests/datafile/test_quick_check.py
checks that over every fixture, synthetic entries and broken variants of each).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields
from marshmallow.decorators import VALIDATES_SCHEMA

Loader = Callable[[Any], dict]


class Slow(Exception):
    """This entry is out of the ordinary: load it with marshmallow."""


def compile_schema(schema: Schema) -> Loader | None:
    """Return a function loading what `schema.load` loads, or None if the schema has hooks
    this module does not know (pre/post-load processors, field validators)."""
    hooks = type(schema)._hooks
    if any(hooks[tag] for tag in hooks if tag != VALIDATES_SCHEMA):
        return None
    if any(many or kwargs.get("pass_original") for _, many, kwargs in hooks[VALIDATES_SCHEMA]):
        return None
    plans: dict[str, tuple[str, Callable[[Any], Any]]] = {}
    for name, field in schema.fields.items():
        plan = _compile_field(field, name)
        if plan is None:
            return None
        plans[field.data_key or name] = (field.attribute or name, plan)
    required = tuple(name for name, field in schema.fields.items() if field.required)
    rules = tuple(getattr(schema, name) for name, _, _ in hooks[VALIDATES_SCHEMA])

    def load(node: Any) -> dict:
        if not isinstance(node, dict):
            raise Slow
        out: dict[str, Any] = {}
        try:
            for key, value in node.items():
                plan = plans.get(key) if isinstance(key, str) else None
                if plan is None:
                    raise Slow  # an unknown key: marshmallow names it
                out[plan[0]] = plan[1](value)
            for name in required:
                if name not in out:
                    raise Slow
            for rule in rules:
                rule(out)
        except ValidationError:
            raise Slow from None
        return out

    return load


def _compile_field(field: fields.Field, name: str) -> Callable[[Any], Any] | None:
    if field.validators and isinstance(field, fields.List | fields.Nested):
        return None  # validators of a whole list or nested mapping: marshmallow's business
    if isinstance(field, fields.Nested):
        nested = field.schema
        if field.many or not isinstance(nested, Schema):
            return None
        return compile_schema(nested)
    if isinstance(field, fields.List):
        inner = _compile_field(field.inner, name)
        if inner is None:
            return None

        def load_list(value: Any) -> list:
            if not isinstance(value, list):
                raise Slow  # marshmallow takes other collections too: let it decide
            return [inner(item) for item in value]

        return load_list
    custom = getattr(field, "quick_loader", None)
    if custom is not None:
        return custom()
    if isinstance(field, fields.Mapping) and (field.key_field or field.value_field):
        return None
    plain = (
        not field.allow_none
        and not field.pre_load
        and not field.post_load
        and type(field).deserialize is fields.Field.deserialize
        and type(field)._validate_missing is fields.Field._validate_missing
        and type(field)._validate is fields.Field._validate
    )
    if not plain:
        deserialize = field.deserialize
        return lambda value: deserialize(value, name, None)
    # Field.deserialize without its general cases: a None (not allowed here) gives up, and
    # the validators run as marshmallow runs them (one returning False fails).
    convert = field._deserialize
    validators = tuple(field.validators)

    def leaf(value: Any) -> Any:
        if value is None:
            raise Slow
        out = convert(value, name, None)
        for validator in validators:
            if validator(out) is False:
                raise Slow
        return out

    return leaf
