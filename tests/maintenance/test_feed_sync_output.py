"""What `flask sync` writes and says over the real feeds, byte for byte as before its speed-up.

The sync was made several times cheaper (records checked at once when clean, feed files read
as JSON lines, the curated file validated once, the work shared by two processes); none of it
may change a byte of a feed file or a word of what the command says. SYNC_OUTPUT holds, for
each step below, the exit code, the SHA-256 of every feed file and of the command's output
(timings taken out), as the code before the speed-up made them (commit d79720d). A conversion
or message changed on purpose changes them too: print the new ones with
`.venv/bin/python -m tests.maintenance.test_feed_sync_output` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

from directory import create_app
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
REAL = FIXTURES / "real"
FEEDS = [
    ("aasanjose", "AA", "America/Los_Angeles", "sj"),
    ("edmonton", "AA", "America/Edmonton", "ed"),
    ("kansas-city", "AA", "America/Chicago", "kc"),
    ("eda", "Eating Disorders Anonymous", "America/New_York", "eda"),
    ("benlomond", "AA", "America/Los_Angeles", "bl"),
]


def run_steps(work: Path) -> dict[str, dict]:
    """Sync the real feeds (local paths) into `work` step by step; return what each did."""
    (work / "src").mkdir()
    for name, *_ in FEEDS:
        shutil.copy(REAL / f"{name}.json", work / "src" / f"{name}.json")
    lines = [(ROOT / "data" / "resources.yaml").read_text(), "feeds:"]
    for name, fellowship, zone, prefix in FEEDS:
        lines.append(f"  - {{name: {name}, path: src/{name}.json, fellowship: {fellowship},"
                     f" timezone: {zone}, prefix: {prefix}}}")  # fmt: skip
    (work / "resources.yaml").write_text("\n".join(lines) + "\n")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATA_PATH": str(work / "resources.yaml"),
            "INDEX_DIR": str(work / "index"),
        }  # fmt: skip
    )
    runner = app.test_cli_runner()
    out: dict[str, dict] = {}

    def step(label: str, *args: str) -> None:
        result = runner.invoke(args=["sync", *args])
        text = re.sub(r" \[\d+\.\d s\]", "", result.output)
        files = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((work / "feeds").glob("*.yaml"))
        }
        digest = hashlib.sha256(text.encode()).hexdigest()
        out[label] = {"exit": result.exit_code, "output": digest, "files": files}

    def edit(name: str, change) -> None:
        path = work / "src" / f"{name}.json"
        path.write_text(json.dumps(change(json.loads(path.read_text()))))

    def rename(meetings: list) -> list:
        meetings[3]["name"] = "Renamed meeting"
        meetings[5]["types"] = ["O", "XYZ"]
        return meetings

    step("first")
    step("again")
    edit("aasanjose", lambda meetings: meetings[: len(meetings) * 9 // 10])
    edit("kansas-city", rename)
    edit("benlomond", lambda meetings: meetings[:5])  # shrinks too much
    (work / "src" / "eda.json").write_text("{not json")
    step("dry run with the diff", "--dry-run", "--diff")
    step("write", "--jobs", "2")
    step("allow the shrink", "benlomond", "--allow-shrink", "--jobs", "1")
    return out


SYNC_OUTPUT = json.loads((Path(__file__).parent / "sync_output.json").read_text())


def test_the_sync_writes_and_says_exactly_what_it_did_before(tmp_path):
    assert run_steps(tmp_path) == SYNC_OUTPUT


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        json.dump(run_steps(Path(folder)), sys.stdout, indent=1, sort_keys=True)
        print()
