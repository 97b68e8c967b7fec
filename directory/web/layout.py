"""What every page's frame needs: the directory's name and crisis lines, and small filters."""

from __future__ import annotations

import re

from flask import Flask, session

from directory.core.model import CrisisLine
from directory.referrals.lists import decode_list
from directory.search.arguments import LIMITS
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


def init_app(app: Flask) -> None:
    app.add_template_filter(tel)

    @app.context_processor
    def _frame():
        catalog = get_state().catalog
        info = catalog.directory if catalog else None
        listed = decode_list(session.get("referrals")) if "referrals" in session else []
        return {
            "site_name": info.name if info else "Recovery Resource Directory",
            "crisis_lines": info.crisis_lines
            if info and info.crisis_lines
            else NATIONAL_CRISIS_LINES,
            "maintainers_email": info.maintainers_email if info else None,
            "search_limits": LIMITS,
            "referral_count": len(listed),
            "referral_ids": {item.id for item in listed},
        }
