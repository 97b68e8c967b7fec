"""What every page's frame needs: the directory's name and crisis lines, and small filters."""

from __future__ import annotations

import re

from flask import Flask, session

from directory.core.model import CrisisLine
from directory.referrals.lists import decode_list
from directory.search.arguments import LIMITS
from directory.web.session_cookie import scoped_count
from directory.web.state import get_state

# Shown if the data file cannot be loaded at all: a page must never lack these.
NATIONAL_CRISIS_LINES = (
    CrisisLine(name="988 Suicide & Crisis Lifeline", phone="988", text="988"),
    CrisisLine(name="SAMHSA National Helpline", phone="1-800-662-4357"),
)


def tel(number: str) -> str:
    """Return a number fit for a tel: or sms: link."""
    digits = re.sub(r"[^\d+]", "", number.split("ext")[0].split("x")[0])
    return digits


def _referral_count() -> int:
    """Return how many listings the referral list holds, for the navigation."""
    try:
        if "referrals" in session:  # under /referrals, where the list's own cookie travels
            return len(decode_list(session["referrals"]))
        return scoped_count(session, "referrals")  # elsewhere: counted when last saved
    except Exception:  # a page's frame must never fail because of a cookie
        return 0


def _referral_ids() -> set[str]:
    """Return the ids on the list where its cookie travels (under /referrals); else none:
    elsewhere a card learns it was added from the answer to its own Add (enhance.js)."""
    try:
        return {item.id for item in decode_list(session.get("referrals"))}
    except Exception:  # never fail a page's frame because of a cookie
        return set()


def init_app(app: Flask) -> None:
    app.add_template_filter(tel)

    @app.context_processor
    def _frame():
        catalog = get_state().catalog
        info = catalog.directory if catalog else None
        return {
            "site_name": info.name if info else "Recovery Resource Directory",
            "crisis_lines": info.crisis_lines
            if info and info.crisis_lines
            else NATIONAL_CRISIS_LINES,
            "maintainers_email": info.maintainers_email if info else None,
            "search_limits": LIMITS,
            "referral_count": _referral_count(),
            "referral_ids": _referral_ids(),
        }
