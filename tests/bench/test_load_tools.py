"""The load test's helpers (bench/load.py, bench/search.lua): data, checker, wrk reading."""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from bench import load
from directory import create_app
from directory.datafile.load import validate_file

SMALL = 300  # resources: enough for every category and fellowship, quick to validate


@pytest.fixture(scope="module")
def small() -> dict:
    return load.resource_file(SMALL)


def _write(tmp_path: Path, data: dict, name: str = "resources.yaml") -> Path:
    path = tmp_path / name
    load.write_resource_file(path, data)
    return path


def test_synthetic_file_validates_without_errors_or_warnings(tmp_path, small):
    problems = validate_file(_write(tmp_path, small))
    assert [str(p) for p in problems] == []
    resources = small["resources"]
    assert len(resources) == SMALL
    assert len({r["id"] for r in resources}) == SMALL
    assert {r["category"] for r in resources} >= {"meeting", "mat", "housing", "food"}
    assert any("online" in r and "location" not in r for r in resources)  # online-only meetings
    assert any(isinstance(r.get("location"), str) for r in resources)  # shared halls by id


def test_synthetic_points_are_near_the_centre_and_their_zip(small):
    from directory.core.geo import haversine_miles
    from directory.core.places import zip_point

    places = list(small["locations"].values())
    places += [r["location"] for r in small["resources"] if isinstance(r.get("location"), dict)]
    assert places
    for place in places:
        assert haversine_miles(*load.CENTER, place["lat"], place["lon"]) < 150
        zip_lat, zip_lon = zip_point(place["postal_code"])
        # The offset is laid out on a flat map: a few yards longer on the sphere.
        assert (
            haversine_miles(zip_lat, zip_lon, place["lat"], place["lon"]) < 1.1 * load.JITTER_MILES
        )


def test_same_seed_same_file_and_another_seed_another(small):
    assert load.resource_file(SMALL) == small
    assert load.resource_file(SMALL, seed=7) != small


def test_new_version_marks_every_name_and_withdraws_some(tmp_path, small):
    new = load.resource_file(SMALL, marker="Zephyrine", withdrawn=0.2)
    assert [str(p) for p in validate_file(_write(tmp_path, new))] == []
    assert all(r["name"].endswith(" Zephyrine") for r in new["resources"])
    assert [r["id"] for r in new["resources"]] == [r["id"] for r in small["resources"]]
    assert 20 < sum(r.get("status") == "inactive" for r in new["resources"]) < 100


def test_broken_version_is_refused_with_both_mistakes_named(tmp_path, small):
    problems = validate_file(_write(tmp_path, load.break_file(small)))
    errors = [str(p) for p in problems if p.severity == "error"]
    assert len(errors) == 2
    assert "unknown key 'phnoe'" in errors[0]
    assert "145.2 must be between -90 and 90" in errors[1]
    assert "phnoe" not in small["resources"][0]  # the original is left alone


def test_yaml_writer_round_trips_awkward_strings():
    tricky = [
        "yes",
        "no",
        "null",
        "~",
        "19:00",
        "08:00",
        "0123",
        "1e3",
        "- dash",
        "key: value",
        "# not a comment",
        'quote " and \\ backslash',
        "new\nline",
        "tab\there",
        "Zürich · café",
        "emoji \U0001f600",
        "del \x7f next-line \x85 separator \u2028 bom \ufeff",
        "",
        " padded ",
        "[not, a, list]",
        "{not: a map}",
        "&anchor *alias !tag",
    ]
    data = {
        "format": 1,
        "texts": tricky,
        "nested": {"inner": {"n": 3, "x": -1.5, "flag": True, "none": None}},
        "items": [{"days": ["mon"], "start": "19:00"}, {"name": "x", "where": {"lat": 1.0}}],
        "when": dt.date(2026, 2, 3),
    }
    assert yaml.load(load.to_yaml(data), Loader=yaml.SafeLoader) == data


def test_yaml_writer_refuses_what_it_cannot_write():
    with pytest.raises(TypeError):
        load.to_yaml({"when": object()})


def test_write_replaces_the_file_in_one_step(tmp_path, small):
    path = tmp_path / "resources.yaml"
    path.write_text("old")
    load.write_resource_file(path, {"format": 1})
    assert path.read_text().endswith("format: 1\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resources.yaml"]


# --- the wrong-data checker ----------------------------------------------------------------------

EXPECTED = {
    "total": 2,
    "results": [["a-1", "Hope Group Zephyrine"], ["b-2", "Oak Clinic Zephyrine"]],
}


def test_checker_accepts_the_expected_answer():
    assert load.wrong_data(EXPECTED, EXPECTED, "Zephyrine") == []


@pytest.mark.parametrize(
    "answer, why",
    [
        ({"total": 2, "results": [["a-1", "Hope Group"], ["b-2", "Oak Clinic"]]}, "marker"),
        (
            {"total": 2, "results": [["a-1", "Hope Group Zephyrines"], EXPECTED["results"][1]]},
            "marker",
        ),
        ({"total": 3, "results": EXPECTED["results"]}, "total 3"),
        ({"total": 2, "results": EXPECTED["results"][::-1]}, "results"),
        ({"total": 2, "results": EXPECTED["results"][:1]}, "results"),
        ({"total": 0, "results": []}, "total 0"),
    ],
)
def test_checker_flags_answers_from_other_data(answer, why):
    problems = load.wrong_data(answer, EXPECTED, "Zephyrine")
    assert problems
    assert any(why in p for p in problems)


def _app(tmp_path: Path, data: dict, name: str):
    path = _write(tmp_path, data, f"{name}.yaml")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATA_PATH": str(path),
            "INDEX_DIR": str(tmp_path / f"{name}-index"),
            "RATE_LIMIT_SEARCH": "1000000 per minute",
            "RATE_LIMIT_API": "1000000 per minute",
        }
    )


def test_checker_tells_old_data_from_new_through_real_pages_and_api(tmp_path, small):
    new = load.resource_file(SMALL, marker="Zephyrine", withdrawn=0.05)
    expected = load.expected_answers(str(_write(tmp_path, new, "new")), str(tmp_path / "x"))
    answers = expected["answers"]
    assert len(answers) == 2 * len(load.PROBES)
    assert sum(a["total"] > 0 for a in answers.values()) >= len(answers) - 2
    page_answers = [a for path, a in answers.items() if path.startswith("/search")]
    assert any(a["results"] for a in page_answers)  # the HTML parser finds results
    old = _app(tmp_path, small, "old").test_client()
    same = _app(tmp_path, new, "same").test_client()
    for path, want in answers.items():
        kind = "api" if path.startswith("/api/") else "pages"
        response = old.get(path)
        assert response.status_code == 200
        if want["total"]:
            assert load.wrong_data(load.answer_of(kind, response.data), want, "Zephyrine"), path
        response = same.get(path)
        assert load.wrong_data(load.answer_of(kind, response.data), want, "Zephyrine") == []


def test_every_request_of_the_mix_is_answered_200(tmp_path, small):
    client = _app(tmp_path, small, "mix").test_client()
    for prefix in load.PROBE_PREFIX.values():
        paths = load.search_paths(prefix, 40)
        assert len(set(paths)) > 30
        for path in paths:
            assert client.get(path).status_code == 200, path


# --- reading wrk ---------------------------------------------------------------------------------


def test_parse_wrk_reads_the_script_line_and_counts_non_2xx():
    output = (
        "Running 1s test @ http://127.0.0.1:1\n"
        'LOADTEST {"requests": 500, "duration_us": 2000000, "p50_us": 1500, "p90_us": 4000, '
        '"p99_us": 9000, "max_us": 12000, "statuses": {"200": 490, "304": 4, "429": 6}, '
        '"errors": {"connect": 0, "read": 1, "write": 0, "timeout": 2}}\n'
    )
    result = load.parse_wrk(output)
    assert result.rps == 250
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (1.5, 9.0, 12.0)
    assert result.non_2xx == 10
    assert result.socket_errors["timeout"] == 2


def test_parse_wrk_without_the_script_line_is_an_error():
    with pytest.raises(ValueError, match="LOADTEST"):
        load.parse_wrk("Requests/sec: 100\n")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = 200 if "ok" in self.path else 503
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"hi")

    def log_message(self, *args):
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
@pytest.mark.parametrize("new_connections", ["0", "1"])
def test_lua_script_reports_every_status_to_the_parser(tmp_path, new_connections):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        paths = tmp_path / "paths"
        paths.write_text("/ok?q=a\n/down?q=b\n")
        url = f"http://127.0.0.1:{server.server_address[1]}"
        command = load.wrk_command(url, 1, connections=2, timeout="2s")
        env = {"SEARCH_PATHS": str(paths), "NEW_CONNECTIONS": new_connections, "PATH": "/usr/bin"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    result = load.parse_wrk(done.stdout)
    assert result.statuses.get(200, 0) > 0
    assert result.statuses.get(503, 0) > 0
    assert result.non_2xx == result.statuses[503]
    assert sum(result.statuses.values()) <= result.requests + 2  # in flight at the end


# --- the faults the load test puts in place ------------------------------------------------------


@pytest.mark.parametrize(
    "make, words",
    [
        (load.yaml_error, "YAML syntax error"),
        (load.alias_bomb, "aliases (*name) here expand to"),
    ],
)
def test_each_broken_file_is_refused_for_its_reason(tmp_path, small, make, words):
    good = _write(tmp_path, small).read_text()
    path = tmp_path / "broken.yaml"
    path.write_text(make(good))
    errors = [str(p) for p in validate_file(path) if p.severity == "error"]
    assert errors and words in errors[0]


def test_a_truncated_file_ends_at_a_line_and_is_refused_for_what_it_lost(small, tmp_path):
    from directory.datafile.load import parse_bytes
    from directory.datafile.versions import Version, shrink_refusal

    good = _write(tmp_path, small).read_text()
    cut = load.truncated(good, 0.55)
    assert cut.endswith("\n") and 0.54 < len(cut) / len(good) < 0.57
    catalog, problems = parse_bytes(cut.encode(), "cut.yaml")
    if catalog is not None:  # cut between two entries: valid, but far smaller
        old = Version(sum(r.get("status") != "inactive" for r in small["resources"]), "in service")
        assert shrink_refusal(len(catalog.active()), old, 0.1)
    else:
        assert any(p.severity == "error" for p in problems)


def test_slow_copy_ends_with_the_same_bytes(tmp_path):
    source, target = tmp_path / "a", tmp_path / "b"
    source.write_bytes(bytes(range(256)) * 40)
    target.write_bytes(b"old")
    load.slow_copy(source, target, seconds=0.05, pieces=7)
    assert target.read_bytes() == source.read_bytes()


def test_same_answer_compares_totals_and_results():
    assert load.same_answer(EXPECTED, dict(EXPECTED))
    assert not load.same_answer({"total": 2, "results": EXPECTED["results"][::-1]}, EXPECTED)
    assert not load.same_answer({"total": 3, "results": EXPECTED["results"]}, EXPECTED)
