"""Render the README's pictures of a referral sheet: pages 1 and 2 of a real PDF, as PNG.

    .venv/bin/python docs/images/referral_sheet.py    (needs pdftoppm, from poppler-utils)

Eight listings from the sample directory with the notes and goals a session might give them;
the names are made up.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from directory import create_app  # noqa: E402  # why: run as a script from the checkout

LISTINGS = {
    "east-portland-medication-clinic": "Ask for Dr. Okafor's team about the monthly shot. "
    "Bring the letter from the hospital.",
    "central-city-withdrawal-management": "If it gets bad at night, go here first: they take "
    "walk-ins around the clock.",
    "alder-house": "Interview on Thursday. Ask about the waiting list and whether a bed can be "
    "held while you are at detox.",
    "lents-free-food-market": "",
    "record-expungement-clinic": "Bring the court papers from 2019 and your ID. Free; no "
    "appointment on the first Monday.",
    "second-shift-job-training": "Next cohort starts in January. Ana can help with the form.",
    "hawthorne-nooners": "A small group, mostly people new in recovery. Coffee from 11:45.",
    "eastside-recovery-community-center": "Ask for Marcus, the peer mentor. Drop in any afternoon.",
}
DETAILS = {
    "participant": "Jordan",
    "goal_health": "Stop using for good this time, and be steady enough to see my son on "
    "weekends. Start the monthly shot.",
    "goal_home": "A bed in a recovery house by the end of the month, and food in the fridge "
    "until my first paycheck.",
    "goal_purpose": "Clear my record so I can get hired, then a training course with regular "
    "hours.",
    "goal_community": "A meeting every day for the first ninety days, and people who know my "
    "name there.",
    "specialist": "Ana Morales, peer recovery specialist",
    "contact": "503-555-0142 (cell, texts are fine)\nWeekdays 9 am to 5 pm",
    "near": "97214",
    "paper": "letter",
}


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "readme-images",
                "DATA_PATH": str(ROOT / "data" / "resources.yaml"),
                "INDEX_DIR": str(Path(scratch) / "index"),
                "BASE_URL": "https://recovery.example.org",
            }
        )
        client = app.test_client()
        page = client.get(f"/resources/{next(iter(LISTINGS))}").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        for resource_id in LISTINGS:
            client.post("/referrals/add", data={"id": resource_id, "csrf_token": csrf})
        notes = {f"note-{rid}": note for rid, note in LISTINGS.items()}
        form = {"csrf_token": csrf, **notes, **DETAILS}
        response = client.post("/referrals/sheet.pdf", data=form)
        assert response.status_code == 200, response.status_code
        pdf = Path(scratch) / "sheet.pdf"
        pdf.write_bytes(response.data)
        here = Path(__file__).parent
        subprocess.run(
            ["pdftoppm", "-r", "80", "-f", "1", "-l", "2", "-png", str(pdf), str(here / "sheet")],
            check=True,
        )
        for made in sorted(here.glob("sheet-*.png")):
            made.rename(here / f"referral-sheet-page-{int(made.stem.split('-')[-1])}.png")


if __name__ == "__main__":
    main()
