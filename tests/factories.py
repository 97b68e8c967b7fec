"""Synthetic directories for tests and benchmarks: realistic, deterministic, any size.

`generate(n)` returns n resources (same n and seed, same resources): every category, meetings of
several fellowships with weekly schedules, opening hours, online and hybrid meetings, and points
clustered around real US cities in their own timezones.
"""

from __future__ import annotations

import math
import random

from directory.core.model import Location, Online, Resource
from directory.core.schedule import Schedule
from directory.core.vocabulary import default_dimension

SEED = 20240601

# (city, state, lat, lon, timezone, weight)
CITIES = (
    ("Portland", "OR", 45.5152, -122.6784, "America/Los_Angeles", 3),
    ("Seattle", "WA", 47.6062, -122.3321, "America/Los_Angeles", 3),
    ("San Francisco", "CA", 37.7749, -122.4194, "America/Los_Angeles", 3),
    ("Los Angeles", "CA", 34.0522, -118.2437, "America/Los_Angeles", 5),
    ("Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix", 3),
    ("Denver", "CO", 39.7392, -104.9903, "America/Denver", 3),
    ("Albuquerque", "NM", 35.0844, -106.6504, "America/Denver", 2),
    ("Dallas", "TX", 32.7767, -96.7970, "America/Chicago", 4),
    ("Houston", "TX", 29.7604, -95.3698, "America/Chicago", 4),
    ("Chicago", "IL", 41.8781, -87.6298, "America/Chicago", 5),
    ("Minneapolis", "MN", 44.9778, -93.2650, "America/Chicago", 2),
    ("Nashville", "TN", 36.1627, -86.7816, "America/Chicago", 2),
    ("Atlanta", "GA", 33.7490, -84.3880, "America/New_York", 3),
    ("Miami", "FL", 25.7617, -80.1918, "America/New_York", 3),
    ("Detroit", "MI", 42.3314, -83.0458, "America/Detroit", 2),
    ("Philadelphia", "PA", 39.9526, -75.1652, "America/New_York", 3),
    ("New York", "NY", 40.7128, -74.0060, "America/New_York", 6),
    ("Boston", "MA", 42.3601, -71.0589, "America/New_York", 3),
    ("Baltimore", "MD", 39.2904, -76.6122, "America/New_York", 2),
    ("Anchorage", "AK", 61.2181, -149.9003, "America/Anchorage", 1),
)
REGIONS = ("Downtown", "Northside", "Eastside", "Westside", "Southside", "Midtown", "Riverside")
CATEGORY_WEIGHTS = {
    "meeting": 50,
    "mat": 5,
    "treatment": 6,
    "counseling": 6,
    "harm-reduction": 3,
    "crisis": 2,
    "wellness": 3,
    "housing": 6,
    "food": 5,
    "peer-support": 4,
    "faith": 3,
    "family": 2,
    "employment": 2,
    "legal": 2,
    "transportation": 1,
}
FELLOWSHIPS = {
    "AA": 50,
    "NA": 22,
    "Al-Anon": 8,
    "CA": 4,
    "SMART Recovery": 6,
    "Recovery Dharma": 5,
    "Celebrate Recovery": 5,
}
TYPE_CODES = ("D", "SP", "ST", "BE", "W", "M", "Y", "LGBTQ", "X", "S", "B", "MED", "POA", "LIT")
NAME_WORDS = (
    "Serenity",
    "Sunrise",
    "Hope",
    "New Beginnings",
    "Came to Believe",
    "Keep It Simple",
    "Happy Destiny",
    "Freedom",
    "Lifeline",
    "Promises",
    "Joy of Living",
    "Easy Does It",
    "One Day at a Time",
    "Grapevine",
    "Courage to Change",
    "Second Chance",
    "Harmony",
    "Miracles",
    "Back to Basics",
    "Spiritual Awakening",
    "Living Sober",
    "Just for Today",
)
PLACE_WORDS = (
    "Community",
    "Harbor",
    "Cedar",
    "Maple",
    "Lincoln",
    "Unity",
    "Bridge",
    "Summit",
    "Valley",
    "Pioneer",
    "Oak",
    "Lakeside",
    "Union",
    "Liberty",
    "Grace",
    "Mercy",
)
CATEGORY_NOUNS = {
    "mat": ("Recovery Clinic", "Opioid Treatment Program", "Addiction Medicine"),
    "treatment": ("Treatment Center", "Recovery Center", "Detox Center", "Outpatient Program"),
    "counseling": ("Counseling", "Behavioral Health", "Family Therapy"),
    "harm-reduction": ("Harm Reduction Project", "Syringe Services", "Outreach"),
    "crisis": ("Crisis Center", "Crisis Line", "Mobile Crisis Team"),
    "wellness": ("Health Center", "Community Clinic", "Wellness Center"),
    "housing": ("Recovery House", "Sober Living", "Oxford House", "Transitional Housing"),
    "food": ("Food Pantry", "Community Kitchen", "Food Bank", "Free Meals"),
    "peer-support": ("Recovery Community Center", "Peer Support", "Recovery Coaching"),
    "faith": ("Church Recovery Ministry", "Celebrate Recovery", "Faith Fellowship"),
    "family": ("Family Support", "Youth Services", "Parent Network"),
    "employment": ("Job Center", "Workforce Program", "GED Program"),
    "legal": ("Legal Aid", "Reentry Services", "ID Clinic"),
    "transportation": ("Ride Program", "Transit Help"),
}
SENTENCES = {
    "mat": (
        "Same-day buprenorphine starts, including Suboxone and Sublocade.",
        "Daily methadone dosing at a licensed opioid treatment program.",
        "Naltrexone (Vivitrol) injections for opioid and alcohol use disorder.",
        "Telehealth visits available for medication treatment.",
    ),
    "treatment": (
        "Medically monitored withdrawal management (detox).",
        "Intensive outpatient program three evenings a week.",
        "Residential treatment for adults, 28 to 90 days.",
        "Co-occurring mental health and substance use treatment.",
    ),
    "counseling": (
        "Individual, group and family therapy.",
        "Trauma-informed counseling.",
        "Counselors who speak Spanish.",
    ),
    "harm-reduction": (
        "Free naloxone (Narcan) and fentanyl test strips.",
        "Syringe services and wound care.",
        "Overdose prevention training.",
    ),
    "crisis": ("Call or text any time, day or night.", "Walk-in crisis stabilization."),
    "wellness": ("Primary care for people in recovery.", "Mental health care and nutrition."),
    "housing": (
        "Peer-run recovery housing, drug and alcohol free.",
        "Sober living with house meetings and curfew.",
        "Transitional housing for people leaving treatment.",
    ),
    "food": (
        "Food pantry open weekly, no ID needed.",
        "Hot meals served every weekday.",
        "Help applying for SNAP food benefits.",
    ),
    "peer-support": ("Peer recovery coaches who have been there.", "All pathways welcome."),
    "faith": ("Christ-centered recovery group.", "A church community supporting recovery."),
    "family": ("Support for families and friends.", "Youth and school programs."),
    "employment": ("Job training and resume help.", "GED classes and job search support."),
    "legal": ("Free legal aid for expungement.", "Help replacing ID documents."),
    "transportation": ("Free rides to treatment appointments.", "Bus passes for clients."),
}
FILLER = (
    "welcoming",
    "friendly",
    "confidential",
    "caring",
    "experienced",
    "licensed",
    "staff",
    "neighborhood",
    "downtown",
    "parking",
    "bus",
    "line",
    "near",
    "ramp",
    "entrance",
    "side",
    "door",
    "second",
    "floor",
    "basement",
    "room",
    "hall",
    "library",
    "center",
)
SERVICE_CHOICES = {
    "mat": ("outpatient", "telehealth", "assessment", "case-management", "counseling"),
    "treatment": ("detox", "outpatient", "intensive-outpatient", "residential", "co-occurring"),
    "counseling": ("counseling", "group-therapy", "family-therapy", "co-occurring"),
    "harm-reduction": ("naloxone", "syringe-services", "test-strips"),
    "housing": ("sober-living", "transitional-housing", "shelter", "case-management"),
    "food": ("food-pantry", "meals", "benefits-help"),
    "peer-support": ("peer-support", "recovery-coaching"),
    "employment": ("job-training", "education", "volunteering"),
    "legal": ("legal-aid", "id-documents", "benefits-help"),
}
PAYMENTS = ("free", "medicaid", "medicare", "private-insurance", "sliding-scale", "self-pay")
POPULATIONS = ("adults", "youth", "women", "men", "lgbtq", "veterans", "pregnant", "families")


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _time(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def _meeting_hours(rng: random.Random) -> list[dict]:
    items = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        start = rng.choice(
            (
                6 * 60 + 30,
                7 * 60,
                12 * 60,
                12 * 60 + 15,
                17 * 60 + 30,
                18 * 60,
                19 * 60,
                19 * 60 + 30,
                20 * 60,
                22 * 60,
                23 * 60 + 30,
            )
        )
        days = rng.choice(
            (
                ["mon"],
                ["tue"],
                ["wed"],
                ["thu"],
                ["fri"],
                ["sat"],
                ["sun"],
                "weekdays",
                "daily",
                ["mon", "wed", "fri"],
            )
        )
        items.append({"days": days, "start": _time(start), "end": _time(start + 60)})
    return items


def _opening_hours(rng: random.Random) -> list[dict] | None:
    kind = rng.random()
    if kind < 0.3:
        return None
    if kind < 0.4:
        return [{"days": "daily", "start": "00:00", "end": "24:00"}]
    if kind < 0.8:
        return [{"days": "weekdays", "start": "08:00", "end": rng.choice(("17:00", "18:00"))}]
    return [
        {"days": rng.choice((["sat"], ["tue", "thu"], ["fri"])), "start": "10:00", "end": "14:00"}
    ]


def generate(n: int, seed: int = SEED) -> list[Resource]:
    """Return n synthetic resources, the same ones for the same n and seed."""
    rng = random.Random(seed * 1_000_003 + n)
    weights = [c[5] for c in CITIES]
    out = []
    for i in range(n):
        city, state, clat, clon, tz, _ = rng.choices(CITIES, weights=weights)[0]
        category = _pick(rng, CATEGORY_WEIGHTS)
        lat = clat + rng.gauss(0, 0.09)
        lon = clon + rng.gauss(0, 0.09) / math.cos(math.radians(clat))
        location = Location(
            lat=round(lat, 5), lon=round(lon, 5), city=city, state=state, region=rng.choice(REGIONS)
        )
        online = None
        kw: dict = {}
        if category == "meeting":
            fellowship = _pick(rng, FELLOWSHIPS)
            types = [rng.choice(("O", "C"))] + rng.sample(TYPE_CODES, rng.choice((0, 1, 2, 3)))
            name = f"{rng.choice(NAME_WORDS)} {rng.choice(('Group', 'Meeting', 'Fellowship'))}"
            attend = rng.random()
            if attend < 0.12:
                location, online = None, Online(url=f"https://meet.example.org/{i}")
            elif attend < 0.2:
                online = Online(url=f"https://meet.example.org/{i}")
            hours = _meeting_hours(rng)
            description = rng.choice(
                (
                    "",
                    "Literature discussion.",
                    "Newcomers welcome.",
                    "Meets in the church basement.",
                    "Speaker then sharing.",
                )
            )
            kw.update(fellowship=fellowship, types=tuple(dict.fromkeys(types)))
        else:
            name = f"{rng.choice(PLACE_WORDS)} {rng.choice(CATEGORY_NOUNS[category])}"
            sentences = SENTENCES[category]
            description = " ".join(rng.sample(sentences, min(len(sentences), rng.randint(1, 3))))
            description += " " + " ".join(rng.sample(FILLER, 4)) + "."
            hours = _opening_hours(rng)
            services = SERVICE_CHOICES.get(category, ())
            if services:
                kw["services"] = tuple(rng.sample(services, rng.randint(1, len(services))))
            if category == "mat":
                kw["medications"] = tuple(
                    rng.sample(("buprenorphine", "methadone", "naltrexone"), rng.randint(1, 3))
                )
            kw["payment"] = tuple(rng.sample(PAYMENTS, rng.randint(1, 3)))
            if rng.random() < 0.3:
                kw["populations"] = tuple(rng.sample(POPULATIONS, rng.randint(1, 2)))
        if rng.random() < 0.12:
            kw["languages"] = ("en", "es")
        if rng.random() < 0.3:
            kw["accessibility"] = ("wheelchair",)
        out.append(
            Resource(
                id=f"r{i}",
                name=name,
                category=category,
                dimensions=(default_dimension(category),),
                timezone=tz,
                description=description or None,
                location=location,
                online=online,
                schedule=Schedule.from_items(hours, tz) if hours else None,
                **kw,
            )
        )
    return out
