"""The words a parameter's problem is told in: plain, and in the language of the request.

marshmallow's own messages ("Not a valid integer.", "Length must be between 1 and 120.") are
English and written for programmers. `plain_messages(schema)` gives every field of a schema (the
items of a list too) and every validator without a message of its own the words below. Each is a
`validation_message`: translated when marshmallow formats it, so in the language in force for the
request (`Accept-Language`, or the page's choice), with marshmallow's placeholders ({min},
{max}, {choices}) kept. A field's own message must be a `validation_message` as well; the tests
check every field of every schema the pages and the API parse.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from directory.core.translation import gettext


class TranslatedOnFormat(str):
    """A message translated when it is formatted (marshmallow formats every message it raises)."""

    __slots__ = ()

    def format(self, *args, **kwargs) -> str:
        return gettext(str(self)).format(*args, **kwargs)


def validation_message(message: str) -> TranslatedOnFormat:
    """Mark a validation message (with marshmallow's {placeholders}) for translation."""
    return TranslatedOnFormat(message)


# Keys of marshmallow's error_messages, by field class (the most specific class first).
_FIELD_MESSAGES: tuple[tuple[type, dict[str, TranslatedOnFormat]], ...] = (
    (fields.Integer, {"invalid": validation_message("must be a whole number"),
                      "too_large": validation_message("is too large")}),
    (fields.Float, {"invalid": validation_message("must be a number"),
                    "special": validation_message("must be a number"),
                    "too_large": validation_message("is too large")}),
    (fields.Boolean, {"invalid": validation_message("must be true or false")}),
    (fields.DateTime, {
        "invalid": validation_message("must be a date and time, like 2026-11-28T19:00:00-08:00"),
        "format": validation_message("must be a date and time, like 2026-11-28T19:00:00-08:00"),
        "invalid_awareness": validation_message(
            "must be a date and time, like 2026-11-28T19:00:00-08:00"
        ),
    }),
    (fields.List, {"invalid": validation_message("must be a list of values")}),
    (fields.String, {"invalid": validation_message("must be text"),
                     "invalid_utf8": validation_message("must be text")}),
)  # fmt: skip
_EVERY_FIELD = {
    "required": validation_message("is required"),
    "null": validation_message("is required"),
    "validator_failed": validation_message("cannot be used"),
}


def _validator_message(validator) -> TranslatedOnFormat | None:
    if isinstance(validator, validate.OneOf):
        return validation_message("must be one of: {choices}")
    if isinstance(validator, validate.Length):
        if validator.min and validator.max is not None:
            return validation_message("must be between {min} and {max} characters")
        if validator.max is not None:
            return validation_message("must be at most {max} characters")
        return validation_message("must be at least {min} characters")
    if isinstance(validator, validate.Range):
        if validator.min is not None and validator.max is not None:
            return validation_message("must be from {min} to {max}")
        if validator.max is not None:
            return validation_message("must be at most {max}")
        return validation_message("must be at least {min}")
    return None


def _plain_field(field: fields.Field) -> None:
    messages = dict(field.error_messages)
    for key, message in _EVERY_FIELD.items():
        if key in messages and not isinstance(messages[key], TranslatedOnFormat):
            messages[key] = message
    for kind, kind_messages in _FIELD_MESSAGES:
        if isinstance(field, kind):
            for key, message in kind_messages.items():
                if key in messages and not isinstance(messages[key], TranslatedOnFormat):
                    messages[key] = message
            break
    field.error_messages = messages
    for validator in field.validators:
        error = getattr(validator, "error", None)
        if error is None or error == getattr(validator, "default_message", None):
            validator.error = _validator_message(validator) or error
    if isinstance(field, fields.List):
        _plain_field(field.inner)


def plain_messages(schema: Schema) -> Schema:
    """Give a schema instance's fields plain, translated messages; return the schema."""
    for field in schema.fields.values():
        _plain_field(field)
    return schema


def untranslated_messages(schema: Schema) -> list[str]:
    """Return the messages of a schema that would be shown untranslated (for the tests)."""
    found = []

    def check(name: str, field: fields.Field) -> None:
        found.extend(f"{name}: {m!r}" for m in field.error_messages.values()
                     if isinstance(m, str) and not isinstance(m, TranslatedOnFormat))  # fmt: skip
        for validator in field.validators:
            error = getattr(validator, "error", None)
            if isinstance(error, str) and not isinstance(error, TranslatedOnFormat):
                found.append(f"{name}: {error!r}")
        if isinstance(field, fields.List):
            check(f"{name}[]", field.inner)

    for name, field in schema.fields.items():
        check(name, field)
    return found
