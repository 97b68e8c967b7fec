"""Memory and start-up times of a real gunicorn (the project's config, 2 workers) at scale.

    .venv/bin/python bench/memory.py                         # 10,000 resources
    .venv/bin/python bench/memory.py --resources 10000 100000
    .venv/bin/python bench/memory.py --root /tmp/mem-before  # another checkout (a baseline)

For each size, on bench/load.py's synthetic Portland directory, in a temporary folder: a cold
start (the file parsed, validated and indexed), 200 searches and resource pages, then the
memory of the master and of each worker from /proc/<pid>/smaps_rollup (RSS, PSS, shared,
private); a restart with the file unchanged (catalog cache and index already there), timed
from the command to the first answer of /readyz, with the memory again; then a reload with a
changed file, sampling the PSS of the master and all its children (the parse child, old and
new workers) every 0.2 s for the peak, and what the peak is made of (each process's PSS at
that moment, by role). Before that reload, twice, one entry changed (a new word in its name,
the file replaced as an editor does): the time from the change to a served search finding the
word, the CPU seconds of the master and its parse child (and index writers) meanwhile, and the
peak PSS. The first comes right after the restart, the second after the first. The time from
fork to a worker ready (its data reopened) and the worker's CPU seconds until then are logged
by a config file that wraps the project's (post_fork, post_worker_init), so the same figure is
read from any checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load as synthetic  # noqa: E402  # why: the generator and gunicorn runner of bench/load.py

from tests.web.gunicorn_server import children_of, is_worker  # noqa: E402

BENCH_CONFIG = """
import time as _time
from directory.web import gunicorn_conf as _project
from directory.web.gunicorn_conf import *  # noqa


def post_fork(server, worker):
    worker.bench_forked = _time.time()
    hook = getattr(_project, "post_fork", None)
    if hook is not None:
        hook(server, worker)


def post_worker_init(worker):
    _project.post_worker_init(worker)
    worker.log.info(
        "bench: worker %d ready %.3f s after fork, %.3f s CPU",
        worker.pid, _time.time() - worker.bench_forked, _time.process_time(),
    )
"""
READY = re.compile(r"bench: worker (\d+) ready ([\d.]+) s after fork, ([\d.]+) s CPU")
REQUESTS = 200


class Server(synthetic.Server):
    """bench/load.py's gunicorn, run from another checkout when asked (a baseline)."""

    def __init__(self, root: Path, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.root = root
        self.env["DIRECTORY_DATA_MAX_BYTES"] = str(2_000_000_000)
        self.env["DIRECTORY_DATA_MAX_RESOURCES"] = str(10_000_000)
        self.env["DIRECTORY_RELOAD_CHECK_SECONDS"] = "1"
        self.env["PYTHONPATH"] = str(root)

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "-c", str(self.config)]
        command.append("--no-control-socket")
        with open(self.access_log, "ab") as out, open(self.error_log, "ab") as err:
            self.process = synthetic.subprocess.Popen(
                [*command, "directory:create_app()"],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=err,
            )

    def family(self) -> list[int]:
        """The master and every process under it (workers, a parse child)."""
        assert self.process is not None
        out, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += children_of(pid)
        return out


def smaps(pid: int) -> dict[str, float]:
    """Return RSS, PSS, shared and private memory of a process, in MB."""
    fields: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[-1] == "kB":
            fields[name.strip()] = int(parts[0]) / 1024
    return {
        "rss": fields.get("Rss", 0.0),
        "pss": fields.get("Pss", 0.0),
        "shared": fields.get("Shared_Clean", 0.0) + fields.get("Shared_Dirty", 0.0),
        "private": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0),
    }


def memory(server: Server) -> dict:
    assert server.process is not None
    master = server.process.pid
    out = {"master": smaps(master)}
    for number, pid in enumerate(server.worker_pids(), start=1):
        out[f"worker {number}"] = smaps(pid)
    out["total_pss"] = sum(m.get("pss", 0.0) for k, m in out.items() if k != "total_pss")
    return out


def wait_serving(server: Server, timeout: float, not_fingerprint: str | None = None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"gunicorn exited; see {server.error_log}")
        state = server.readyz()
        if state and state.get("status") == "ok" and state.get("fingerprint") != not_fingerprint:
            return state
        time.sleep(0.05)
    raise RuntimeError(f"not serving after {timeout:.0f} s; see {server.error_log}")


def send_requests(server: Server, ids: list[str]) -> int:
    """Send searches, API searches and resource pages; return how many answered 200."""
    paths = synthetic.search_paths("/search", REQUESTS // 2)
    paths += synthetic.search_paths("/api/v1/search", REQUESTS // 4)
    paths += [f"/api/v1/resources/{i}" for i in ids[: REQUESTS // 8]]
    paths += [f"/resources/{i}" for i in ids[REQUESTS // 8 : REQUESTS // 4]]
    ok = 0
    for path in paths:
        status, _ = synthetic.fetch(server.port, path, timeout=120)
        ok += status == 200
    return ok


def ready_lines(server: Server, after: int) -> list[tuple[float, float]]:
    """Return (seconds from fork to ready, CPU seconds) of workers logged after byte `after`."""
    text = server.error_log.read_bytes()[after:].decode(errors="replace")
    return [(float(m[2]), float(m[3])) for m in READY.finditer(text)]


def wait_workers(server: Server, count: int, after: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(ready_lines(server, after)) < count:
        time.sleep(0.05)


def show_memory(label: str, figures: dict) -> None:
    print(f"  {label}: total PSS {figures['total_pss']:,.0f} MB")
    for name, m in figures.items():
        if name != "total_pss" and m:
            print(
                f"    {name:9} RSS {m['rss']:7,.0f}  PSS {m['pss']:7,.0f}"
                f"  shared {m['shared']:7,.0f}  private {m['private']:7,.0f} MB"
            )


def cpu_of(pid: int) -> tuple[float, float]:
    """Return (own, reaped children's) CPU seconds of a process; (0, 0) once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def roles(server: Server, old_workers: set[int]) -> dict[int, str]:
    """Name each process of the family: master, old/new worker, parse child, writer, other."""
    assert server.process is not None
    out = {}
    for pid in server.family():
        if pid == server.process.pid:
            out[pid] = "master"
        elif pid in old_workers:
            out[pid] = "old worker"
        else:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            if b"directory.datafile.isolated" in command or out.get(parent) == "parse child":
                out[pid] = "parse child"
            elif not is_worker(pid):
                out[pid] = "catalog writer"
            elif parent == server.process.pid:
                out[pid] = "new worker or index writer"
            else:
                out[pid] = "other"
    return out


class PeakWatch:
    """Sample the family's PSS (and who holds it) until `done` says the new version serves."""

    def __init__(self, server: Server):
        self.server = server
        self.old_workers = set(server.worker_pids())
        self.peak, self.parts = 0.0, {}
        assert server.process is not None
        self.master = server.process.pid
        self.cpu_start = cpu_of(self.master)
        self.worker_cpu = {pid: sum(cpu_of(pid)) for pid in self.old_workers}

    def sample(self) -> None:
        named = roles(self.server, self.old_workers)
        parts: dict[str, float] = {}
        for pid, role in named.items():
            parts[role] = parts.get(role, 0.0) + smaps(pid).get("pss", 0.0)
        for pid in self.old_workers:
            own = cpu_of(pid)[0]
            if own:
                self.worker_cpu[pid] = own
        total = sum(parts.values())
        if total > self.peak:
            self.peak, self.parts = total, parts

    def cpu(self) -> float:
        """CPU seconds of the master and the children it reaped, but the old workers."""
        own, reaped = cpu_of(self.master)
        gone = sum(c for pid, c in self.worker_cpu.items() if not cpu_of(pid)[0])
        return own - self.cpu_start[0] + reaped - self.cpu_start[1] - gone

    def show(self, steady: float) -> str:
        parts = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(self.parts.items()))
        return f"peak PSS {self.peak:,.0f} MB ({self.peak / steady:.2f}x steady; {parts})"


def one_entry_change(server: Server, data_path: Path, word: str, steady: float) -> dict:
    """Add `word` to one entry's name; time the change to a served search finding it."""
    text = data_path.read_text(encoding="utf-8")
    at = text.index("\n  - id: ", len(text) // 2) + 1
    name_at = text.index("    name: ", at) + len("    name: ")
    rid = text[at:].split("\n", 1)[0].split("id: ", 1)[1].strip().strip("'\"")
    temporary = data_path.with_suffix(".tmp")
    temporary.write_text(text[:name_at] + word + " " + text[name_at:], encoding="utf-8")
    del text
    watch = PeakWatch(server)
    started = time.monotonic()
    os.replace(temporary, data_path)
    while time.monotonic() < started + 3600:
        watch.sample()
        status, body = synthetic.fetch(server.port, f"/api/v1/search?q={word.lower()}", 120)
        if status == 200 and rid.encode() in body:
            break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"the change was never served; see {server.error_log}")
    figures = {"seconds": time.monotonic() - started, "cpu": watch.cpu()}
    figures |= {"peak_pss": watch.peak, "peak_parts": watch.parts}
    time.sleep(1)
    figures["cpu_after"] = watch.cpu()  # what the master did once serving (the cache write)
    print(
        f"  one entry changed -> served search: {figures['seconds']:.2f} s, master + parse"
        f" child {figures['cpu']:.2f} s CPU ({figures['cpu_after']:.2f} s a second later);"
        f" {watch.show(steady)}"
    )
    return figures


def bench_size(n: int, root: Path, work: Path, workers: int, reload: bool = True) -> dict:
    data_path = work / "resources.yaml"
    document = synthetic.resource_file(n)
    ids = [r["id"] for r in document["resources"]][::97][:REQUESTS]
    if not data_path.exists():  # a kept folder (--work) already holds this very file
        synthetic.write_resource_file(data_path, document)
    del document
    config = work / "bench_gunicorn.conf.py"
    config.write_text(BENCH_CONFIG, encoding="utf-8")
    server = Server(root, work, data_path, workers, None, config=config)
    figures: dict = {"resources": n, "root": str(root)}
    print(f"{n:,} resources ({data_path.stat().st_size / 1e6:.1f} MB), serving {root}")
    try:
        started = time.monotonic()
        server.start()
        state = wait_serving(server, 3600)
        figures["cold_start"] = time.monotonic() - started
        wait_workers(server, workers, 0)
        print(f"  cold start to serving: {figures['cold_start']:.1f} s")
        figures["answered"] = send_requests(server, ids)
        time.sleep(1)
        figures["cold"] = memory(server)
        show_memory(f"after a cold start and {figures['answered']} answers", figures["cold"])
        server.stop()

        log_at = server.error_log.stat().st_size
        started = time.monotonic()
        server.start()
        state = wait_serving(server, 600)
        figures["restart"] = time.monotonic() - started
        wait_workers(server, workers, log_at)
        figures["fork_to_ready"] = ready_lines(server, log_at)
        print(
            f"  restart (file unchanged) to serving: {figures['restart']:.2f} s;"
            " fork to worker ready: "
            + ", ".join(f"{w:.3f} s ({c:.3f} s CPU)" for w, c in figures["fork_to_ready"])
        )
        time.sleep(1)
        figures["restarted_idle"] = memory(server)
        show_memory("right after the restart", figures["restarted_idle"])
        send_requests(server, ids)
        time.sleep(1)
        figures["steady"] = steady = memory(server)
        show_memory(f"after {REQUESTS} answers", steady)
        if not reload:
            return figures

        for number, word in enumerate(("Zanzibarish", "Quixotical"), start=1):
            old = set(server.worker_pids())
            figures[f"one_entry_change_{number}"] = one_entry_change(
                server, data_path, word, steady["total_pss"]
            )
            until = time.monotonic() + 120
            while time.monotonic() < until and (
                old & set(server.worker_pids()) or len(server.worker_pids()) != workers
            ):
                time.sleep(0.2)  # the old workers retire, the new ones are all up
        state = wait_serving(server, 600)

        changed = synthetic.resource_file(n, marker="Bench")
        log_at = server.error_log.stat().st_size
        synthetic.write_resource_file(data_path, changed)
        del changed
        started = time.monotonic()
        watch = PeakWatch(server)
        deadline = started + 3600
        while time.monotonic() < deadline:
            watch.sample()
            fresh = server.readyz()
            if (
                fresh
                and fresh.get("fingerprint") != state["fingerprint"]
                and len(server.worker_pids()) == workers
                and len(ready_lines(server, log_at)) >= workers
            ):
                break
            time.sleep(0.2)
        figures["reload_seconds"] = time.monotonic() - started
        figures["reload_peak_pss"] = peak = watch.peak
        figures["reload_peak_parts"] = watch.parts
        figures["reload_cpu"] = watch.cpu()
        time.sleep(2)
        figures["after_reload"] = memory(server)
        figures["reload_fork_to_ready"] = ready_lines(server, log_at)
        print(
            f"  reload of a changed file: {figures['reload_seconds']:.1f} s, peak PSS of the"
            f" master and its children {peak:,.0f} MB"
            f" ({peak / steady['total_pss']:.2f}x the steady {steady['total_pss']:,.0f} MB),"
            f" master + parse child {figures['reload_cpu']:.1f} s CPU;"
            f" {watch.show(steady['total_pss'])}"
        )
        show_memory("after the reload", figures["after_reload"])
    finally:
        server.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[10_000])
    parser.add_argument("--root", type=Path, default=ROOT, help="The checkout to serve.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--no-reload", action="store_true", help="Skip the reload's peak.")
    parser.add_argument(
        "--work", type=Path, help="Keep the file, cache and index in this folder (one size)."
    )
    options = parser.parse_args(argv)
    results = []
    root, reload = options.root.resolve(), not options.no_reload
    for n in options.resources:
        if options.work is not None:
            options.work.mkdir(parents=True, exist_ok=True)
            results.append(bench_size(n, root, options.work, options.workers, reload))
            continue
        with tempfile.TemporaryDirectory(prefix="directory-memory-") as work:
            results.append(bench_size(n, root, Path(work), options.workers, reload))
    if options.json:
        options.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
