"""How long a synthetic directory takes from its file to a servable catalog and index.

    .venv/bin/python bench/loading.py                  # 10,000 resources
    .venv/bin/python bench/loading.py --resources 10000 100000

For each size, in one process on the same file (bench/load.py's synthetic Portland directory):
the YAML read alone, the cold parse and validation as the project did it before (marshmallow
for every entry: the baseline), the cold parse and validation now in one process, then as
the server does it (the second half of a large file in a second process), the read of the same
file through the catalog cache, the index build with Whoosh's own writer as before (the index
baseline; `--no-index-baseline` skips it) and as now (search/whoosh/segments.py), a restart (the
catalog from the cache and the index opened), and the peak memory. Figures depend on the machine
and on what else runs on it; the README gives them with the conditions. Run one size per process
for a fair peak memory.

With `--change` (or `--change-only`), the served path too, through web/state.py's
DirectoryState as the server uses it (in process, no isolation): the cold load of a new file
(parse, validation, full index build, service: what any changed file cost before the per-entry
caches, so the baseline of the same run), then one entry of it changed (a new word in its name),
timed from the change on disk to a served search finding that word, with the parse (entry cache)
and index (derived generation and its table) shares; then the catalog cache's write, which the
server does once the new version serves (DirectoryState.save_catalog).
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load as synthetic  # noqa: E402  # why: the generator of bench/load.py

from directory.datafile import cache, load  # noqa: E402
from directory.datafile.limits import DataLimits  # noqa: E402
from directory.datafile.yaml_lines import load_bounded  # noqa: E402
from directory.search import SearchRequest  # noqa: E402
from directory.search.index import build_index, open_index  # noqa: E402
from directory.search.whoosh import segments  # noqa: E402
from directory.web.state import DirectoryState  # noqa: E402

LIMITS = DataLimits(max_bytes=2_000_000_000, max_resources=10_000_000)


CPU: dict[str, float] = {}  # the same figures in CPU seconds (less noisy), child processes too


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the parse's second
    process, datafile/parallel.py; the index's writer processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(run, name: str = ""):
    started, cpu = time.perf_counter(), _cpu()
    value = run()
    CPU[name] = _cpu() - cpu
    return value, time.perf_counter() - started


def _without_quick_checks(data: bytes, path: str):
    """The baseline: every entry through marshmallow, as before the quick checks."""
    load._quick_loader.cache_clear()
    original = load.compile_schema
    load.compile_schema = lambda schema: None
    try:
        return load.parse_bytes(data, path, LIMITS, processes=1)
    finally:
        load.compile_schema = original
        load._quick_loader.cache_clear()


def _with_whooshs_writer(catalog, folder: Path) -> None:
    """The index baseline: Whoosh's own writer (two processes from 20,000), as before
    search/whoosh/segments.py."""
    original = segments.fast_schema
    segments.fast_schema = lambda schema: False
    try:
        build_index(catalog.resources, folder, catalog.fingerprint)
    finally:
        segments.fast_schema = original


def bench_size(n: int, work: Path, baseline: bool, out=print, index_baseline: bool = True) -> dict:
    path = work / f"resources-{n}.yaml"
    synthetic.write_resource_file(path, synthetic.resource_file(n))
    data = path.read_bytes()
    figures = {"resources": n, "megabytes": len(data) / 1e6}
    small = synthetic.to_yaml(synthetic.resource_file(50)).encode()
    load.parse_bytes(small, "warm-up", LIMITS)  # the ZIP table and other lazy tables
    _, figures["yaml"] = _timed(lambda: load_bounded(data.decode(), LIMITS.max_field_chars), "yaml")
    if baseline:
        _, figures["baseline"] = _timed(lambda: _without_quick_checks(data, str(path)), "baseline")
    _, figures["serial"] = _timed(
        lambda: load.parse_bytes(data, str(path), LIMITS, processes=1), "serial"
    )
    index_dir = work / f"index-{n}"
    (catalog, _), figures["cold"] = _timed(
        lambda: cache.parse_cached(data, str(path), LIMITS, index_dir), "cold"
    )
    (again, _), figures["cached"] = _timed(
        lambda: cache.parse_cached(data, str(path), LIMITS, index_dir), "cached"
    )
    assert again == catalog
    if index_baseline:
        before = functools.partial(_with_whooshs_writer, catalog, work / f"index-before-{n}")
        _, figures["index_before"] = _timed(before, "index before")
    started, cpu = time.perf_counter(), _cpu()
    build_index(catalog.resources, index_dir, catalog.fingerprint)
    figures["index"] = time.perf_counter() - started
    CPU["index"] = _cpu() - cpu
    del again, catalog  # a restart starts with nothing in memory

    def restart():
        restarted, _ = cache.parse_cached(data, str(path), LIMITS, index_dir)
        return open_index(index_dir, restarted)

    _, figures["restart"] = _timed(restart, "restart")
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["cpu"] = dict(CPU)
    out(
        f"{n:>9,} {figures['megabytes']:6.1f} MB  yaml {figures['yaml']:6.1f} s"
        + (f"  before {figures['baseline']:6.1f} s" if baseline else "")
        + f"  one process {figures['serial']:6.1f} s  cold {figures['cold']:6.1f} s"
        f"  cached {figures['cached']:5.2f} s"
        + (f"  index before {figures['index_before']:6.1f} s" if index_baseline else "")
        + f"  index {figures['index']:6.1f} s  restart {figures['restart']:5.2f} s"
        f"  peak {figures['peak_mb']:,.0f} MB"
    )
    out("          CPU s: " + "  ".join(f"{k} {v:.2f}" for k, v in CPU.items()))
    return figures


PROFILE_CHANGE: str | None = None  # --profile-change FILE: cProfile the change step into FILE
SHARES: dict[str, float] = {}  # wall seconds inside each step of the served path


def _time_steps() -> None:
    """Wrap the steps of DirectoryState's path with timers (this process only)."""
    from directory.datafile import cache as cache_module  # noqa: PLC0415
    from directory.search import index as index_module  # noqa: PLC0415
    from directory.web import state as state_module  # noqa: PLC0415

    def timer(module, name, label):
        original = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                SHARES[label] = SHARES.get(label, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)

    timer(state_module, "_parse_here", "parse (entry cache)")
    timer(cache_module, "_write", "catalog cache write")
    timer(index_module, "_build", "index build")
    timer(index_module, "open_index", "index open")
    timer(state_module, "gazetteer_for", "gazetteer")


def bench_change(n: int, work: Path, out=print) -> dict:
    """Cold load of a new file through DirectoryState, then one entry changed, to served."""
    path = work / f"served-{n}.yaml"
    text = synthetic.to_yaml(synthetic.resource_file(n))
    path.write_text(text, encoding="utf-8")
    small = synthetic.to_yaml(synthetic.resource_file(50)).encode()
    load.parse_bytes(small, "warm-up", LIMITS)
    state = DirectoryState(str(path), str(work / f"served-index-{n}"), None, limits=LIMITS)
    figures: dict = {"resources": n}
    ok, figures["cold"] = _timed(state.reload, "served cold")
    assert ok, state.error
    # One entry in the middle gets a word no other has; the file is replaced as an editor does.
    at = text.index("\n  - id: ", len(text) // 2) + 1
    name_at = text.index("    name: ", at) + len("    name: ")
    changed = text[:name_at] + "Zanzibarish " + text[name_at:]
    rid = text[at:].split("\n", 1)[0].split("id: ", 1)[1].strip().strip("'\"")
    temporary = path.with_suffix(".tmp")
    temporary.write_text(changed, encoding="utf-8")

    def change_to_served():
        os.replace(temporary, path)
        snapshot = state.prepare()  # what reload() does, the catalog cache written after
        assert snapshot is not None, state.error
        state.install(snapshot)
        result = state.current().searcher.search(SearchRequest(q="zanzibarish"))
        assert [h.resource.id for h in result.hits] == [rid], result.hits
        return result

    _time_steps()
    SHARES.clear()
    if PROFILE_CHANGE:
        import cProfile  # noqa: PLC0415

        cProfile.runctx("change_to_served()", globals(), locals(), PROFILE_CHANGE)
        figures["change"] = 0.0
        CPU["served change"] = 0.0
    else:
        _, figures["change"] = _timed(change_to_served, "served change")
    SHARES.pop("catalog cache write", None)  # none before serving
    figures["steps"] = dict(SHARES)
    _, figures["cache_write"] = _timed(state.save_catalog, "catalog cache write")
    figures["entry_hits"], figures["entry_misses"] = state.entries.hits, state.entries.misses
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out(
        f"{n:>9,} served: cold (parse + full index) {figures['cold']:6.1f} s"
        f" ({CPU['served cold']:.1f} s CPU)  one entry changed -> served search"
        f" {figures['change']:5.2f} s ({CPU['served change']:.2f} s CPU; entries from the cache"
        f" {figures['entry_hits']:,}, read {figures['entry_misses']:,})"
        f"  peak {figures['peak_mb']:,.0f} MB"
    )
    out(
        "          of which (wall s): "
        + "  ".join(f"{k} {v:.2f}" for k, v in figures["steps"].items())
    )
    out(
        f"          then, once served: catalog cache write {figures['cache_write']:.2f} s"
        f" ({CPU['catalog cache write']:.2f} s CPU)"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[10_000])
    parser.add_argument("--no-baseline", action="store_true", help="Skip the marshmallow run.")
    parser.add_argument(
        "--no-index-baseline", action="store_true", help="Skip the build with Whoosh's writer."
    )
    parser.add_argument("--change", action="store_true", help="Also the served path.")
    parser.add_argument("--change-only", action="store_true", help="Only the served path.")
    parser.add_argument("--profile-change", metavar="FILE", help="cProfile the change step.")
    options = parser.parse_args(argv)
    global PROFILE_CHANGE
    PROFILE_CHANGE = options.profile_change
    with tempfile.TemporaryDirectory(prefix="directory-loading-") as work:
        for n in options.resources:
            if not options.change_only:
                bench_size(
                    n,
                    Path(work),
                    not options.no_baseline,
                    index_baseline=not options.no_index_baseline,
                )
            if options.change or options.change_only:
                bench_change(n, Path(work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
