"""The directory's words: categories, dimensions, fellowships, meeting types and tags.

Everything a page, a filter or the validator needs to name or explain lives here as data.
Meeting Guide type codes come from the Meeting Guide specification (code4recovery/spec, MIT),
copied into `meeting_guide_types.json` beside this module.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources as package_files

from directory.core import translation
from directory.core.translation import N_, _

DIMENSIONS: dict[str, str] = {
    "health": N_("Health"),
    "home": N_("Home"),
    "purpose": N_("Purpose"),
    "community": N_("Community"),
}

DIMENSION_DESCRIPTIONS: dict[str, str] = {
    "health": N_("Treatment, medication, counseling and staying well."),
    "home": N_("A safe, stable place to live, and food."),
    "purpose": N_("Work, school, legal help and getting around."),
    "community": N_("Meetings, peers, family and faith: people who support you."),
}

# category -> (plain label, default dimension)
CATEGORIES: dict[str, tuple[str, str]] = {
    "meeting": (N_("Meeting"), "community"),
    "mat": (N_("Medication for addiction treatment"), "health"),
    "treatment": (N_("Treatment"), "health"),
    "counseling": (N_("Counseling"), "health"),
    "harm-reduction": (N_("Harm reduction"), "health"),
    "crisis": (N_("Crisis help"), "health"),
    "wellness": (N_("Health and wellness"), "health"),
    "housing": (N_("Housing"), "home"),
    "food": (N_("Food"), "home"),
    "peer-support": (N_("Peer support"), "community"),
    "faith": (N_("Faith-based support"), "community"),
    "family": (N_("Family support"), "community"),
    "employment": (N_("Work and school"), "purpose"),
    "legal": (N_("Legal help and IDs"), "purpose"),
    "transportation": (N_("Transportation"), "purpose"),
}

STATUSES = ("active", "temporarily-closed", "inactive")

KNOWN_FELLOWSHIPS = (
    "AA",
    "NA",
    "CA",
    "Al-Anon",
    "Nar-Anon",
    "SMART Recovery",
    "Recovery Dharma",
    "Celebrate Recovery",
)

FELLOWSHIP_NAMES: dict[str, str] = {
    "AA": N_("Alcoholics Anonymous"),
    "NA": N_("Narcotics Anonymous"),
    "CA": N_("Cocaine Anonymous"),
    "Al-Anon": N_("Al-Anon Family Groups"),
    "Nar-Anon": N_("Nar-Anon Family Groups"),
    "SMART Recovery": N_("SMART Recovery"),
    "Recovery Dharma": N_("Recovery Dharma"),
    "Celebrate Recovery": N_("Celebrate Recovery"),
}

ACCESSIBILITY: dict[str, str] = {
    "wheelchair": N_("Wheelchair accessible"),
    "accessible-restroom": N_("Accessible restroom"),
    "asl": N_("American Sign Language"),
    "hearing-loop": N_("Hearing loop"),
    "fragrance-free": N_("Fragrance free"),
    "childcare": N_("Childcare available"),
    "accessible-parking": N_("Accessible parking"),
    "braille": N_("Braille materials"),
}

PAYMENT: dict[str, str] = {
    "free": N_("Free"),
    "medicaid": N_("Medicaid (Oregon Health Plan)"),
    "medicare": N_("Medicare"),
    "private-insurance": N_("Private insurance"),
    "sliding-scale": N_("Sliding scale fee"),
    "self-pay": N_("Self-pay"),
    "military": N_("Military insurance (TRICARE)"),
    "ihs-tribal": N_("IHS, tribal or urban Indian funds"),
    "payment-assistance": N_("Payment assistance"),
}

POPULATIONS: dict[str, str] = {
    "adults": N_("Adults"),
    "youth": N_("Young people"),
    "women": N_("Women"),
    "men": N_("Men"),
    "lgbtq": N_("LGBTQ+ people"),
    "veterans": N_("Veterans"),
    "pregnant": N_("Pregnant and parenting people"),
    "seniors": N_("Older adults"),
    "justice-involved": N_("People involved with the justice system"),
    "families": N_("Families"),
    "native": N_("Native American and Alaska Native people"),
    "deaf": N_("Deaf and hard of hearing people"),
}

SERVICES: dict[str, str] = {
    "detox": N_("Detox (withdrawal management)"),
    "outpatient": N_("Outpatient treatment"),
    "intensive-outpatient": N_("Intensive outpatient"),
    "residential": N_("Residential treatment"),
    "inpatient": N_("Hospital inpatient"),
    "telehealth": N_("Telehealth"),
    "co-occurring": N_("Mental health and substance use together"),
    "assessment": N_("Assessment"),
    "counseling": N_("Counseling"),
    "group-therapy": N_("Group therapy"),
    "family-therapy": N_("Family therapy"),
    "peer-support": N_("Peer support"),
    "recovery-coaching": N_("Recovery coaching"),
    "case-management": N_("Case management"),
    "sober-living": N_("Sober living"),
    "transitional-housing": N_("Transitional housing"),
    "shelter": N_("Shelter"),
    "naloxone": N_("Naloxone (Narcan)"),
    "syringe-services": N_("Syringe services"),
    "test-strips": N_("Drug checking test strips"),
    "food-pantry": N_("Food pantry"),
    "meals": N_("Free meals"),
    "benefits-help": N_("Help with benefits"),
    "job-training": N_("Job training"),
    "education": N_("Education and GED"),
    "legal-aid": N_("Legal aid"),
    "id-documents": N_("ID documents"),
    "transportation": N_("Transportation"),
    "crisis-line": N_("Crisis line"),
    "mobile-crisis": N_("Mobile crisis team"),
    "walk-in": N_("Walk-ins welcome"),
    "primary-care": N_("Primary care"),
    "mental-health": N_("Mental health care"),
    "childcare": N_("Childcare"),
    "volunteering": N_("Volunteering"),
}

MEDICATIONS: dict[str, str] = {
    "buprenorphine": N_("Buprenorphine (Suboxone, Sublocade)"),
    "methadone": N_("Methadone"),
    "naltrexone": N_("Naltrexone (Vivitrol)"),
}

MEDICATION_EXPLANATIONS: dict[str, str] = {
    "buprenorphine": N_(
        "A daily film or tablet, or a monthly shot, that eases withdrawal and cravings. "
        "Many doctors and clinics can prescribe it, in person or by video."
    ),
    "methadone": N_(
        "A daily liquid dose that steadies the body and stops withdrawal. "
        "It is given only at licensed opioid treatment programs."
    ),
    "naltrexone": N_(
        "A monthly shot (Vivitrol) or daily pill that blocks the effects of opioids and "
        "lowers cravings for alcohol. You need to be off opioids for 7 to 10 days first."
    ),
}

ATTENDANCE: dict[str, str] = {
    "in_person": N_("In person"),
    "online": N_("Online or by phone"),
    "hybrid": N_("In person and online"),
    "inactive": N_("Temporarily closed"),
}

TIME_OF_DAY_LABELS: dict[str, str] = {
    "morning": N_("Morning (4 am to noon)"),
    "midday": N_("Afternoon (noon to 5 pm)"),
    "evening": N_("Evening (5 pm to 9 pm)"),
    "night": N_("Night (9 pm to 4 am)"),
}

# Codes whose meaning changes with the fellowship (the spec's list is AA's reading).
TYPE_OVERRIDES: dict[str, dict[str, str]] = {
    "Al-Anon": {
        "POA": N_("Parents of Alcoholics"),
        "AL": N_("Alateen"),
        "AL-AN": N_("Al-Anon"),
        "AC": N_("Adult Children of Alcoholics"),
    },
    "Nar-Anon": {"POA": N_("Parents of Addicts")},
}

# What feeds write for a spec code: typos and house codes seen in real feeds, read as the code
# on the right. Per fellowship; "" applies to every fellowship.
TYPE_ALIASES: dict[str, dict[str, str]] = {
    "": {
        "ASBI": "ABSI",
        "BB": "B",
        "BBS": "B",
        "12X12": "12x12",
        "STEP": "ST",
        "SPK": "SP",
        "SPEAK": "SP",
        "DISC": "D",
        "BEG": "BE",
        "NEW": "BE",
        "WC": "X",
        "WHEELCHAIR": "X",
        "YP": "Y",
        "SPAN": "S",
        "ESP": "S",
        "LGBT": "LGBTQ",
        "LGBTQIA": "LGBTQ",
        "MEDITATION": "MED",
        "CHILDCARE": "BA",
    },
}


def type_alias(fellowship: str | None, code: str) -> str | None:
    """Return the spec code a feed's house code or typo stands for, if it is a known one."""
    key = code.upper()
    return TYPE_ALIASES.get(fellowship or "", {}).get(key) or TYPE_ALIASES[""].get(key)


# Codes that are not meeting types for a fellowship (warned about by the validator).
TYPES_NOT_USED: dict[str, frozenset[str]] = {
    "Al-Anon": frozenset({"AL-AN", "ABSI", "B", "LS", "12x12", "DR", "GR"}),
    "NA": frozenset({"AL-AN", "AL", "ABSI", "B", "LS", "12x12", "DR", "GR"}),
    "SMART Recovery": frozenset({"ABSI", "B", "LS", "12x12", "DR", "GR", "ST", "TR", "11"}),
    "Recovery Dharma": frozenset({"ABSI", "B", "LS", "12x12", "DR", "GR", "ST", "TR"}),
}

_OPEN_CLOSED: dict[str, tuple[str, str]] = {
    # fellowship -> (open explanation, closed explanation)
    "AA": (
        N_("Anyone is welcome, including family, friends and students."),
        N_("For people who have a desire to stop drinking."),
    ),
    "NA": (
        N_("Anyone is welcome, including family, friends and students."),
        N_("For people who have a desire to stop using drugs."),
    ),
    "CA": (
        N_("Anyone is welcome, including family, friends and students."),
        N_("For people who want to stop using cocaine and all other mind-altering substances."),
    ),
    "Al-Anon": (
        N_("Anyone interested in Al-Anon is welcome, including professionals and students."),
        N_("For people affected by someone else's drinking."),
    ),
    "Nar-Anon": (
        N_("Anyone interested in Nar-Anon is welcome."),
        N_("For people affected by someone else's drug use."),
    ),
}
_DEFAULT_OPEN_CLOSED = (
    N_("Anyone is welcome, including family, friends and students."),
    N_("For people who want to stop drinking or using."),
)

TYPE_EXPLANATIONS: dict[str, str] = {
    "D": N_("People take turns sharing on a topic."),
    "SP": N_("One or more people share their story."),
    "ST": N_("The group reads and talks about one of the steps."),
    "TR": N_("The group reads and talks about one of the traditions."),
    "BE": N_("Especially for people who are new, or coming back."),
    "B": N_("The group reads from the Big Book."),
    "LIT": N_("The group reads recovery literature together."),
    "MED": N_("Includes quiet meditation."),
    "11": N_("Meditation on the 11th step."),
    "W": N_("For women."),
    "M": N_("For men."),
    "Y": N_("For young people."),
    "LGBTQ": N_("For LGBTQ+ people, and welcoming to all."),
    "X": N_("The space can be reached in a wheelchair."),
    "XB": N_("The restroom can be used in a wheelchair."),
    "POA": N_("Someone can sign a proof of attendance form (for courts or programs)."),
    "BA": N_("Childcare is offered during the meeting."),
    "CF": N_("Children are welcome to come along."),
    "TC": N_("The building is closed for now; the meeting may still meet online."),
    "ASL": N_("Interpreted in American Sign Language."),
    "A": N_("No religious or spiritual content."),
}


@cache
def meeting_guide_types() -> dict[str, dict[str, str]]:
    """Return the Meeting Guide type codes with their names per language."""
    text = package_files.files(__package__).joinpath("meeting_guide_types.json").read_text()
    return json.loads(text)


def _in(language: str | None) -> str:
    return language or translation.code()


def _say(message: str, language: str | None) -> str:
    """Return a marked label in `language`, or in the language in force."""
    if language is None:
        return _(message)
    with translation.speaking(language):
        return _(message)


def category_label(category: str, language: str | None = None) -> str:
    """Return the plain-words name of a category (`language`: else the one in force)."""
    if category not in CATEGORIES:
        return category.replace("-", " ").capitalize()
    return _say(CATEGORIES[category][0], language)


def dimension_label(dimension: str, language: str | None = None) -> str:
    """Return the name of a dimension of recovery ("Health")."""
    return _say(DIMENSIONS[dimension], language) if dimension in DIMENSIONS else dimension


def dimension_description(dimension: str) -> str:
    """Return what a dimension of recovery covers, in a sentence."""
    return _(DIMENSION_DESCRIPTIONS[dimension]) if dimension in DIMENSION_DESCRIPTIONS else ""


def attendance_label(attendance: str, language: str | None = None) -> str:
    """Return how a resource is attended, in words ("In person and online")."""
    return _say(ATTENDANCE[attendance], language) if attendance in ATTENDANCE else attendance


def medication_explanation(medication: str) -> str | None:
    """Return a medication explained in two sentences, if there is an explanation."""
    text = MEDICATION_EXPLANATIONS.get(medication)
    return _(text) if text else None


def default_dimension(category: str) -> str:
    """Return the dimension of recovery a category belongs to by default."""
    return CATEGORIES[category][1]


def known_types(fellowship: str | None) -> frozenset[str]:
    """Return the type codes that make sense for a fellowship."""
    codes = set(meeting_guide_types()) | set(TYPE_OVERRIDES.get(fellowship or "", {}))
    return frozenset(codes - TYPES_NOT_USED.get(fellowship or "", frozenset()))


def type_name(fellowship: str | None, code: str, language: str | None = None) -> str:
    """Return the plain name of a meeting type code, read with its fellowship.

    Names come from the Meeting Guide specification's own list, which has them in nine
    languages (Spanish included); a code a fellowship reads otherwise is one of our messages.
    Formats that exchange English names pass `language="en"`.
    """
    override = TYPE_OVERRIDES.get(fellowship or "", {}).get(code)
    if override:
        return _say(override, language)
    names = meeting_guide_types().get(code)
    if not names:
        return code
    return names.get(_in(language)) or names["en"]


def type_explanation(fellowship: str | None, code: str) -> str | None:
    """Explain a meeting type in a sentence a newcomer understands, if there is one to give."""
    if code in ("O", "C"):
        open_text, closed_text = _OPEN_CLOSED.get(fellowship or "", _DEFAULT_OPEN_CLOSED)
        return _(open_text if code == "O" else closed_text)
    if code in TYPE_OVERRIDES.get(fellowship or "", {}):
        return None
    text = TYPE_EXPLANATIONS.get(code)
    return _(text) if text else None


def fellowship_name(fellowship: str, language: str | None = None) -> str:
    """Return the full name of a fellowship ("AA" -> "Alcoholics Anonymous")."""
    name = FELLOWSHIP_NAMES.get(fellowship)
    return _say(name, language) if name else fellowship


def label(facet: str, value: str, language: str | None = None) -> str:
    """Return the plain label of a facet value, for filters and result badges."""
    return _label(facet, value, _in(language))


@lru_cache(maxsize=4096)  # bounded: selected filter values come from people's requests
def _label(facet: str, value: str, language: str) -> str:
    tables: dict[str, dict[str, str]] = {
        "dimension": DIMENSIONS,
        "accessibility": ACCESSIBILITY,
        "payment": PAYMENT,
        "population": POPULATIONS,
        "service": SERVICES,
        "medication": MEDICATIONS,
        "attendance": ATTENDANCE,
        "time_of_day": TIME_OF_DAY_LABELS,
    }
    if facet == "category":
        return category_label(value, language)
    if facet in ("fellowship", "region", "town"):
        return value
    if facet == "language":
        return language_name(value, language)
    if facet == "type":
        # Codes mean different things in different fellowships, so the label says whose it is.
        fellowship, _sep, code = value.rpartition(":")
        name = type_name(fellowship or None, code, language)
        return f"{name} ({fellowship})" if fellowship else name
    if facet == "day":
        from directory.core.schedule import DAYS  # noqa: PLC0415  # why: schedule imports model

        if value not in DAYS:
            return value
        with translation.speaking(language):
            return translation.capitalized(translation.day_name(DAYS.index(value)))
    table = tables.get(facet, {})
    if value in table:
        return _say(table[value], language)
    return value.replace("-", " ").capitalize()


def language_name(code: str, language: str | None = None) -> str:
    """Return the name of an ISO 639-1 code in `language` (else the one in force), or the code."""
    return _language_name(code, _in(language))


@cache
def _language_name(code: str, language: str) -> str:
    if language != translation.SOURCE_LANGUAGE:
        name = translation.language(language).locale.languages.get(code)
        if name:
            return translation.capitalized(name)
    import pycountry  # noqa: PLC0415  # why: its database loads lazily, only when a name is shown

    lang = pycountry.languages.get(alpha_2=code)
    return lang.name if lang else code


@cache
def is_language_code(code: str) -> bool:
    """Return True when the code is an ISO 639-1 (two-letter) language code."""
    import pycountry  # noqa: PLC0415  # why: see language_name

    return isinstance(code, str) and len(code) == 2 and bool(pycountry.languages.get(alpha_2=code))
