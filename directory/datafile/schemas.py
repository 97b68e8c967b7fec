"""Marshmallow schemas for the resource file (format 1): types and per-field rules.

Cross-entry rules (duplicate ids, location references, distances) live in `catalog.py`,
which also turns the error dictionaries into messages with line numbers.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from zoneinfo import available_timezones

import phonenumbers
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from phonenumbers import shortnumberinfo

from directory.core import vocabulary
from directory.core.schedule import parse_days, parse_time

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_MESSAGE = (
    "must be a slug: lowercase letters and digits, words joined by single hyphens "
    "(like 'st-marks-hall')"
)
SMS_SHORT_CODE = re.compile(r"^\d{5,6}$")
PHONE_VERDICTS = 1 << 16  # distinct numbers whose check each phone field remembers


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


class Text(fields.String):
    """A non-empty string; whitespace is trimmed."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is not str:  # text, nearly always: straight to the strip
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValidationError("must be text")
            value = str(value)
        text = value.strip()
        if not text:
            raise ValidationError("must not be empty")
        return text


class Slug(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not SLUG.match(text):
            raise ValidationError(f"'{text}' {SLUG_MESSAGE}")
        return text


class Phone(Text):
    """A phone number as written locally; validated with libphonenumber."""

    def __init__(self, *, region: str = "US", allow_short: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.region = region
        self.allow_short = allow_short
        # text -> its problem ("" for none): libphonenumber's check is a tenth of a parse,
        # and a directory repeats its numbers (an intergroup's line, an agency's switchboard).
        self._verdicts: dict[str, str] = {}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = self._verdicts.get(text)
        if problem is None:
            if len(self._verdicts) >= PHONE_VERDICTS:
                self._verdicts.clear()
            problem = self._verdicts[text] = self._problem(text)
        if problem:
            raise ValidationError(problem)
        return text

    def _problem(self, text: str) -> str:
        if self.allow_short and _is_short_number(text, self.region):
            return ""
        try:
            number = phonenumbers.parse(text, self.region)
        except phonenumbers.NumberParseException:
            return f"'{text}' is not a phone number"
        if not phonenumbers.is_valid_number(number):
            return f"'{text}' is not a valid phone number"
        return ""


class TextNumber(Phone):
    """A number that takes text messages: a phone number or an SMS short code."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = Text._deserialize(self, value, attr, data, **kwargs)
        if SMS_SHORT_CODE.match(text) or _is_short_number(text, self.region):
            return text
        return super()._deserialize(value, attr, data, **kwargs)


def _is_short_number(text: str, region: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if not digits or len(digits) > 6 or digits != text.strip():
        return False
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return False
    return shortnumberinfo.is_valid_short_number_for_region(number, region)


class Url(fields.Url):
    """An http(s) address."""

    def __init__(self, **kwargs):
        messages = {"invalid": "'{input}' is not a web address (https://...)"}
        super().__init__(schemes={"http", "https"}, error_messages=messages, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("must be a web address (https://...)")
        return super()._deserialize(value.strip(), attr, data, **kwargs)


class TimeZone(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in _timezones():
            raise ValidationError(
                f"'{text}' is not an IANA time zone name (like America/Los_Angeles)"
            )
        return text


class Language(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not vocabulary.is_language_code(text):
            raise ValidationError(
                f"'{text}' is not an ISO 639-1 language code (two letters, like en, es, vi)"
            )
        return text


class Choice(Text):
    """One value of a fixed vocabulary."""

    def __init__(self, choices, what: str, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)
        self._known = frozenset(self.choices)
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self._known:
            raise ValidationError(
                f"'{text}' is not a known {self.what}; use one of: {', '.join(self.choices)}"
            )
        return text


class Tag(Text):
    """A free keyword from an open list: lowercase words joined by hyphens."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not SLUG.match(text):
            raise ValidationError(f"'{text}' {SLUG_MESSAGE}")
        return text


class LastVerified(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                raise ValidationError(f"'{value}' is not a date; write YYYY-MM-DD") from None
        if day > date.today():
            raise ValidationError(f"{day.isoformat()} is in the future")
        return day


class PostalCode(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("must be a postal code")
        if isinstance(value, int):
            if len(str(value)) < 5:
                raise ValidationError(
                    f'{value} lost its leading zero; put postal codes in quotes, like "02134"'
                )
            return str(value)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("must be a postal code")
        return value.strip()


class Days(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_days(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Time(fields.Field):
    def __init__(self, *, allow_24: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_24 = allow_24

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_time(value, allow_24=self.allow_24)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Bool(fields.Boolean):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


def _list(inner: fields.Field) -> fields.List:
    return fields.List(inner)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class PointSchema(StrictSchema):
    lat = fields.Float(
        required=True, validate=validate.Range(-90, 90, error="must be between -90 and 90")
    )
    lon = fields.Float(
        required=True, validate=validate.Range(-180, 180, error="must be between -180 and 180")
    )


class CrisisLineSchema(StrictSchema):
    name = Text(required=True)
    phone = Phone(allow_short=True)
    text = TextNumber(allow_short=True)
    url = Url()
    notes = Text()


class DirectorySchema(StrictSchema):
    name = Text(required=True)
    timezone = TimeZone(required=True)
    country = Text(
        validate=validate.Regexp(r"^[A-Z]{2}$", error="must be two capital letters (US)")
    )
    center = fields.Nested(PointSchema)
    crisis_lines = fields.List(fields.Nested(CrisisLineSchema))
    maintainers_email = fields.Email()


class LocationSchema(StrictSchema):
    name = Text()
    address = Text()
    address_2 = Text()
    city = Text()
    state = Text()
    postal_code = PostalCode()
    country = Text()
    lat = fields.Float()
    lon = fields.Float()
    approximate = Bool()
    region = Text()
    sub_region = Text()
    notes = Text()

    @validates_schema(skip_on_field_errors=False)  # report it with the other problems
    def _coordinates(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data):
            missing = "lon" if "lat" in data else "lat"
            raise ValidationError("lat and lon go together; add the other one", missing)
        lat, lon = data.get("lat", 0), data.get("lon", 0)
        swapped = "; lat and lon look swapped" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        if not -90 <= lat <= 90:
            raise ValidationError(f"{lat} must be between -90 and 90{swapped}", "lat")
        if not -180 <= lon <= 180:
            raise ValidationError(f"{lon} must be between -180 and 180", "lon")


class LocationField(fields.Field):
    """Either an inline location mapping or the id of an entry under `locations:`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if not SLUG.match(value):
                raise ValidationError(f"'{value}' is not a location id; {SLUG_MESSAGE}")
            return value
        if isinstance(value, dict):
            return _location_schema().load(value)
        raise ValidationError("must be a location mapping or the id of an entry under locations:")

    def quick_loader(self):
        """Return this field's loader for datafile/quick_check.py (None: give up there)."""
        from directory.datafile.quick_check import Slow, compile_schema

        location = compile_schema(_location_schema())
        if location is None:
            return None

        def load(value):
            if isinstance(value, str) and SLUG.match(value):
                return value
            if isinstance(value, dict):
                return location(value)
            raise Slow

        return load


@cache
def _location_schema() -> LocationSchema:
    return LocationSchema()  # a schema is reusable; building one copies every field


class OnlineSchema(StrictSchema):
    url = Url()
    phone = Phone()
    notes = Text()


class ScheduleItemSchema(StrictSchema):
    days = Days(required=True)
    start = Time(required=True)
    end = Time(allow_24=True)


class TranslationSchema(StrictSchema):
    """A resource's texts in one more language (the keys of model.TRANSLATED_FIELDS)."""

    name = Text()
    description = Text()
    hours_notes = Text()


class Translations(fields.Dict):
    """`translations: {es: {description: ...}}`: language code -> the texts in that language."""

    def __init__(self, **kwargs):
        super().__init__(keys=Language(), values=fields.Nested(TranslationSchema), **kwargs)

    def quick_loader(self):
        """Few entries carry translations: the field's own deserialize (quick_check.py)."""
        return lambda value: self.deserialize(value, "translations", None)


class ResourceSchema(StrictSchema):
    id = Slug(required=True)
    name = Text(required=True)
    category = Choice(vocabulary.CATEGORIES, "category", required=True)
    description = Text()
    organization = Text()
    status = Choice(vocabulary.STATUSES, "status")
    dimensions = _list(Choice(vocabulary.DIMENSIONS, "dimension"))
    location = LocationField()
    online = fields.Nested(OnlineSchema)
    phone = Phone()
    text = TextNumber()
    email = fields.Email()
    website = Url()
    schedule = fields.List(fields.Nested(ScheduleItemSchema))
    hours_notes = Text()
    timezone = TimeZone()
    languages = _list(Language())
    accessibility = _list(Tag())
    payment = _list(Choice(vocabulary.PAYMENT, "payment"))
    populations = _list(Tag())
    eligibility = Text()
    services = _list(Tag())
    medications = _list(Choice(vocabulary.MEDICATIONS, "medication"))
    tags = _list(Text())
    last_verified = LastVerified()
    extra = fields.Dict()
    fellowship = Text()
    types = _list(Text())
    group = Text()
    text_language = Language()
    translations = Translations()

    @validates_schema(skip_on_field_errors=False)
    def _meeting_rules(self, data, **kwargs):
        if data.get("category") == "meeting":
            if "fellowship" not in data:
                raise ValidationError(
                    "a meeting needs a fellowship (AA, NA, Al-Anon, SMART Recovery, ...)",
                    "fellowship",
                )
        else:
            for key in ("fellowship", "types", "group"):
                if key in data:
                    raise ValidationError("only meetings have this key", key)


FEED_FORMATS = ("meeting-guide", "bmlt")


class FeedSchema(StrictSchema):
    """One entry of `feeds:`: an imported feed, kept in feeds/<name>.yaml by `flask sync`."""

    name = Slug(required=True)
    url = Url()
    path = Text()
    format = Choice(FEED_FORMATS, "feed format")
    fellowship = Text(required=True)
    timezone = TimeZone()
    prefix = Slug(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _one_source(self, data, **kwargs):
        if ("url" in data) == ("path" in data):
            raise ValidationError("give the feed's url or its path (one of them)", "url")
