"""How long a synthetic directory takes from its file to a servable catalog and index.

    .venv/bin/python bench/loading.py                  # 10,000 resources
    .venv/bin/python bench/loading.py --resources 10000 100000

For each size, in one process on the same file (bench/load.py's synthetic Portland directory):
the YAML read alone, the cold parse and validation as the project did it before (marshmallow
for every entry: the baseline), the cold parse and validation now, the read of the same file
through the catalog cache, the index build, a restart (the catalog from the cache and the index
opened), and the peak memory. Figures depend on the machine and on what else runs on it; the
README gives them with the conditions. Run one size per process for a fair peak memory.
"""

from __future__ import annotations

import argparse
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
from directory.search.index import build_index, open_index  # noqa: E402

LIMITS = DataLimits(max_bytes=2_000_000_000, max_resources=10_000_000)


CPU: dict[str, float] = {}  # the same figures in this process's CPU seconds (less noisy)


def _timed(run, name: str = ""):
    started, cpu = time.perf_counter(), time.process_time()
    value = run()
    CPU[name] = time.process_time() - cpu
    return value, time.perf_counter() - started


def _without_quick_checks(data: bytes, path: str):
    """The baseline: every entry through marshmallow, as before the quick checks."""
    load._quick_loader.cache_clear()
    original = load.compile_schema
    load.compile_schema = lambda schema: None
    try:
        return load.parse_bytes(data, path, LIMITS)
    finally:
        load.compile_schema = original
        load._quick_loader.cache_clear()


def bench_size(n: int, work: Path, baseline: bool, out=print) -> dict:
    path = work / f"resources-{n}.yaml"
    synthetic.write_resource_file(path, synthetic.resource_file(n))
    data = path.read_bytes()
    figures = {"resources": n, "megabytes": len(data) / 1e6}
    small = synthetic.to_yaml(synthetic.resource_file(50)).encode()
    load.parse_bytes(small, "warm-up", LIMITS)  # the ZIP table and other lazy tables
    _, figures["yaml"] = _timed(lambda: load_bounded(data.decode(), LIMITS.max_field_chars), "yaml")
    if baseline:
        _, figures["baseline"] = _timed(lambda: _without_quick_checks(data, str(path)), "baseline")
    index_dir = work / f"index-{n}"
    (catalog, _), figures["cold"] = _timed(
        lambda: cache.parse_cached(data, str(path), LIMITS, index_dir), "cold"
    )
    (again, _), figures["cached"] = _timed(
        lambda: cache.parse_cached(data, str(path), LIMITS, index_dir), "cached"
    )
    assert again == catalog
    started, cpu = time.perf_counter(), time.process_time()
    build_index(catalog.resources, index_dir, catalog.fingerprint)
    figures["index"] = time.perf_counter() - started
    CPU["index"] = time.process_time() - cpu  # without a second writer process's
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
        + f"  cold {figures['cold']:6.1f} s  cached {figures['cached']:5.2f} s"
        f"  index {figures['index']:6.1f} s  restart {figures['restart']:5.2f} s"
        f"  peak {figures['peak_mb']:,.0f} MB"
    )
    out("          CPU s: " + "  ".join(f"{k} {v:.2f}" for k, v in CPU.items()))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[10_000])
    parser.add_argument("--no-baseline", action="store_true", help="Skip the marshmallow run.")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="directory-loading-") as work:
        for n in options.resources:
            bench_size(n, Path(work), not options.no_baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
