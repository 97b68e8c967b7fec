"""The directory's words: categories, dimensions, fellowships, meeting types and tags.

Everything a page, a filter or the validator needs to name or explain lives here as data.
Meeting Guide type codes come from the Meeting Guide specification (code4recovery/spec, MIT),
copied into `meeting_guide_types.json` beside this module.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources as package_files

DIMENSIONS: dict[str, str] = {
    "health": "Health",
    "home": "Home",
    "purpose": "Purpose",
    "community": "Community",
}

DIMENSION_DESCRIPTIONS: dict[str, str] = {
    "health": "Treatment, medication, counseling and staying well.",
    "home": "A safe, stable place to live, and food.",
    "purpose": "Work, school, legal help and getting around.",
    "community": "Meetings, peers, family and faith: people who support you.",
}

# category -> (plain label, default dimension)
CATEGORIES: dict[str, tuple[str, str]] = {
    "meeting": ("Meeting", "community"),
    "mat": ("Medication for addiction treatment", "health"),
    "treatment": ("Treatment", "health"),
    "counseling": ("Counseling", "health"),
    "harm-reduction": ("Harm reduction", "health"),
    "crisis": ("Crisis help", "health"),
    "wellness": ("Health and wellness", "health"),
    "housing": ("Housing", "home"),
    "food": ("Food", "home"),
    "peer-support": ("Peer support", "community"),
    "faith": ("Faith-based support", "community"),
    "family": ("Family support", "community"),
    "employment": ("Work and school", "purpose"),
    "legal": ("Legal help and IDs", "purpose"),
    "transportation": ("Transportation", "purpose"),
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
    "AA": "Alcoholics Anonymous",
    "NA": "Narcotics Anonymous",
    "CA": "Cocaine Anonymous",
    "Al-Anon": "Al-Anon Family Groups",
    "Nar-Anon": "Nar-Anon Family Groups",
    "SMART Recovery": "SMART Recovery",
    "Recovery Dharma": "Recovery Dharma",
    "Celebrate Recovery": "Celebrate Recovery",
}

ACCESSIBILITY: dict[str, str] = {
    "wheelchair": "Wheelchair accessible",
    "accessible-restroom": "Accessible restroom",
    "asl": "American Sign Language",
    "hearing-loop": "Hearing loop",
    "fragrance-free": "Fragrance free",
    "childcare": "Childcare available",
    "accessible-parking": "Accessible parking",
    "braille": "Braille materials",
}

PAYMENT: dict[str, str] = {
    "free": "Free",
    "medicaid": "Medicaid (Oregon Health Plan)",
    "medicare": "Medicare",
    "private-insurance": "Private insurance",
    "sliding-scale": "Sliding scale fee",
    "self-pay": "Self-pay",
    "military": "Military insurance (TRICARE)",
    "ihs-tribal": "IHS, tribal or urban Indian funds",
    "payment-assistance": "Payment assistance",
}

POPULATIONS: dict[str, str] = {
    "adults": "Adults",
    "youth": "Young people",
    "women": "Women",
    "men": "Men",
    "lgbtq": "LGBTQ+ people",
    "veterans": "Veterans",
    "pregnant": "Pregnant and parenting people",
    "seniors": "Older adults",
    "justice-involved": "People involved with the justice system",
    "families": "Families",
    "native": "Native American and Alaska Native people",
    "deaf": "Deaf and hard of hearing people",
}

SERVICES: dict[str, str] = {
    "detox": "Detox (withdrawal management)",
    "outpatient": "Outpatient treatment",
    "intensive-outpatient": "Intensive outpatient",
    "residential": "Residential treatment",
    "inpatient": "Hospital inpatient",
    "telehealth": "Telehealth",
    "co-occurring": "Mental health and substance use together",
    "assessment": "Assessment",
    "counseling": "Counseling",
    "group-therapy": "Group therapy",
    "family-therapy": "Family therapy",
    "peer-support": "Peer support",
    "recovery-coaching": "Recovery coaching",
    "case-management": "Case management",
    "sober-living": "Sober living",
    "transitional-housing": "Transitional housing",
    "shelter": "Shelter",
    "naloxone": "Naloxone (Narcan)",
    "syringe-services": "Syringe services",
    "test-strips": "Drug checking test strips",
    "food-pantry": "Food pantry",
    "meals": "Free meals",
    "benefits-help": "Help with benefits",
    "job-training": "Job training",
    "education": "Education and GED",
    "legal-aid": "Legal aid",
    "id-documents": "ID documents",
    "transportation": "Transportation",
    "crisis-line": "Crisis line",
    "mobile-crisis": "Mobile crisis team",
    "walk-in": "Walk-ins welcome",
    "primary-care": "Primary care",
    "mental-health": "Mental health care",
    "childcare": "Childcare",
    "volunteering": "Volunteering",
}

MEDICATIONS: dict[str, str] = {
    "buprenorphine": "Buprenorphine (Suboxone, Sublocade)",
    "methadone": "Methadone",
    "naltrexone": "Naltrexone (Vivitrol)",
}

MEDICATION_EXPLANATIONS: dict[str, str] = {
    "buprenorphine": (
        "A daily film or tablet, or a monthly shot, that eases withdrawal and cravings. "
        "Many doctors and clinics can prescribe it, in person or by video."
    ),
    "methadone": (
        "A daily liquid dose that steadies the body and stops withdrawal. "
        "It is given only at licensed opioid treatment programs."
    ),
    "naltrexone": (
        "A monthly shot (Vivitrol) or daily pill that blocks the effects of opioids and "
        "lowers cravings for alcohol. You need to be off opioids for 7 to 10 days first."
    ),
}

ATTENDANCE: dict[str, str] = {
    "in_person": "In person",
    "online": "Online or by phone",
    "hybrid": "In person and online",
    "inactive": "Temporarily closed",
}

TIME_OF_DAY_LABELS: dict[str, str] = {
    "morning": "Morning (4 am to noon)",
    "midday": "Afternoon (noon to 5 pm)",
    "evening": "Evening (5 pm to 9 pm)",
    "night": "Night (9 pm to 4 am)",
}

# Codes whose meaning changes with the fellowship (the spec's list is AA's reading).
TYPE_OVERRIDES: dict[str, dict[str, str]] = {
    "Al-Anon": {
        "POA": "Parents of Alcoholics",
        "AL": "Alateen",
        "AL-AN": "Al-Anon",
        "AC": "Adult Children of Alcoholics",
    },
    "Nar-Anon": {"POA": "Parents of Addicts"},
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
        "Anyone is welcome, including family, friends and students.",
        "For people who have a desire to stop drinking.",
    ),
    "NA": (
        "Anyone is welcome, including family, friends and students.",
        "For people who have a desire to stop using drugs.",
    ),
    "CA": (
        "Anyone is welcome, including family, friends and students.",
        "For people who want to stop using cocaine and all other mind-altering substances.",
    ),
    "Al-Anon": (
        "Anyone interested in Al-Anon is welcome, including professionals and students.",
        "For people affected by someone else's drinking.",
    ),
    "Nar-Anon": (
        "Anyone interested in Nar-Anon is welcome.",
        "For people affected by someone else's drug use.",
    ),
}
_DEFAULT_OPEN_CLOSED = (
    "Anyone is welcome, including family, friends and students.",
    "For people who want to stop drinking or using.",
)

TYPE_EXPLANATIONS: dict[str, str] = {
    "D": "People take turns sharing on a topic.",
    "SP": "One or more people share their story.",
    "ST": "The group reads and talks about one of the steps.",
    "TR": "The group reads and talks about one of the traditions.",
    "BE": "Especially for people who are new, or coming back.",
    "B": "The group reads from the Big Book.",
    "LIT": "The group reads recovery literature together.",
    "MED": "Includes quiet meditation.",
    "11": "Meditation on the 11th step.",
    "W": "For women.",
    "M": "For men.",
    "Y": "For young people.",
    "LGBTQ": "For LGBTQ+ people, and welcoming to all.",
    "X": "The space can be reached in a wheelchair.",
    "XB": "The restroom can be used in a wheelchair.",
    "POA": "Someone can sign a proof of attendance form (for courts or programs).",
    "BA": "Childcare is offered during the meeting.",
    "CF": "Children are welcome to come along.",
    "TC": "The building is closed for now; the meeting may still meet online.",
    "ASL": "Interpreted in American Sign Language.",
    "A": "No religious or spiritual content.",
}


@cache
def meeting_guide_types() -> dict[str, dict[str, str]]:
    """Return the Meeting Guide type codes with their names per language."""
    text = package_files.files(__package__).joinpath("meeting_guide_types.json").read_text()
    return json.loads(text)


def category_label(category: str) -> str:
    """Return the plain-words name of a category."""
    return CATEGORIES.get(category, (category.replace("-", " ").capitalize(), ""))[0]


def default_dimension(category: str) -> str:
    """Return the dimension of recovery a category belongs to by default."""
    return CATEGORIES[category][1]


def known_types(fellowship: str | None) -> frozenset[str]:
    """Return the type codes that make sense for a fellowship."""
    codes = set(meeting_guide_types()) | set(TYPE_OVERRIDES.get(fellowship or "", {}))
    return frozenset(codes - TYPES_NOT_USED.get(fellowship or "", frozenset()))


def type_name(fellowship: str | None, code: str) -> str:
    """Return the plain name of a meeting type code, read with its fellowship."""
    override = TYPE_OVERRIDES.get(fellowship or "", {}).get(code)
    if override:
        return override
    names = meeting_guide_types().get(code)
    return names["en"] if names else code


def type_explanation(fellowship: str | None, code: str) -> str | None:
    """Explain a meeting type in a sentence a newcomer understands, if there is one to give."""
    if code in ("O", "C"):
        open_text, closed_text = _OPEN_CLOSED.get(fellowship or "", _DEFAULT_OPEN_CLOSED)
        return open_text if code == "O" else closed_text
    if code in TYPE_OVERRIDES.get(fellowship or "", {}):
        return None
    return TYPE_EXPLANATIONS.get(code)


def fellowship_name(fellowship: str) -> str:
    """Return the full name of a fellowship ("AA" -> "Alcoholics Anonymous")."""
    return FELLOWSHIP_NAMES.get(fellowship, fellowship)


@lru_cache(maxsize=4096)  # bounded: selected filter values come from people's requests
def label(facet: str, value: str) -> str:
    """Return the plain label of a facet value, for filters and result badges."""
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
        return category_label(value)
    if facet in ("fellowship", "region", "town"):
        return value
    if facet == "language":
        return language_name(value)
    if facet == "type":
        # Codes mean different things in different fellowships, so the label says whose it is.
        fellowship, _, code = value.rpartition(":")
        name = type_name(fellowship or None, code)
        return f"{name} ({fellowship})" if fellowship else name
    if facet == "day":
        from directory.core.schedule import DAY_LABELS, DAYS  # noqa: PLC0415  # why: schedule imports model

        return DAY_LABELS[DAYS.index(value)] if value in DAYS else value
    return tables.get(facet, {}).get(value, value.replace("-", " ").capitalize())


@cache
def language_name(code: str) -> str:
    """Return the English name of an ISO 639-1 code, or the code when unknown."""
    import pycountry  # noqa: PLC0415  # why: its database loads lazily, only when a name is shown

    lang = pycountry.languages.get(alpha_2=code)
    return lang.name if lang else code


@cache
def is_language_code(code: str) -> bool:
    """Return True when the code is an ISO 639-1 (two-letter) language code."""
    import pycountry  # noqa: PLC0415  # why: see language_name

    return isinstance(code, str) and len(code) == 2 and bool(pycountry.languages.get(alpha_2=code))
