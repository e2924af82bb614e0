"""make bench: demo clinics of 1,000, 10,000 and 100,000 episodes; warm server-side page times (AppTest)
next to bare floor pages, assessment save time, handout build time and peak memory.

Each clinic size runs in its own process (so peak memory is that size's). Results: a Markdown table on
stdout and in benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
SIZES = (1_000, 10_000, 100_000)
RUNS = 31
TARGETS = {
    "caseload": ("ratio", 2.0),
    "timeline": ("ratio", 2.0),
    "case": ("ms", 150.0),
    "save assessment": ("ms", 50.0),
    "handout": ("ms", 30.0),
}


COLD: dict[str, float] = {}


def _median_ms(fn, runs=RUNS, cold_key: str | None = None, write=None) -> float:
    if write:
        write()  # a write makes everything kept in memory stale: the next run is cold
    started = time.perf_counter()
    fn()  # cold run (first after the data changed), not in the median
    if cold_key:
        COLD[cold_key] = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _apptest(script: Path, state: dict, page: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def measure(size: int) -> dict:
    from dashboard.domain.model import Role, User
    from dashboard.services import caseload, records
    from dashboard.services.demo import build_demo
    from dashboard.storage.db import Database

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"clinic_{size}.duckdb"
    for stale in (path, Path(str(path) + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    db = Database(path)
    build_demo(db, cases=size, seed=1)
    build_s = time.perf_counter() - started
    os.environ["CLINIC_DB"] = str(path)
    row = db.row("SELECT user_id, username, display_name FROM users WHERE username = 'admin'")
    assert row is not None  # build_demo always creates the admin user
    admin = User(row["user_id"], row["username"], row["display_name"], Role.ADMINISTRATOR)
    evaluated = caseload.evaluated_episodes(db, admin)
    stalled = int(evaluated[evaluated["stalled"]].iloc[0]["episode_id"])
    from dashboard.services import care

    def touch():
        care.set_threshold(db, admin, "review_overdue_weeks", 4)  # same value; still a committed write

    app = ROOT / "dashboard" / "app.py"
    floors = ROOT / "benchmarks" / "floors"
    results = {"size": size, "build_s": build_s}
    # pages (admin sees the whole clinic: the largest lists)
    at = _apptest(app, {"user": admin}, "caseload")
    results["caseload"] = _median_ms(at.run, cold_key="caseload", write=touch)
    at = _apptest(floors / "caseload_floor.py", {})
    results["caseload floor"] = _median_ms(at.run)
    at = _apptest(app, {"user": admin}, "timeline")
    results["timeline"] = _median_ms(at.run, cold_key="timeline", write=touch)
    at = _apptest(floors / "timeline_floor.py", {})
    results["timeline floor"] = _median_ms(at.run)
    at = _apptest(app, {"user": admin, "episode_id": stalled}, "case")
    results["case"] = _median_ms(at.run, cold_key="case", write=touch)
    at = _apptest(floors / "case_floor.py", {"episode_id": stalled})
    results["case floor"] = _median_ms(at.run)
    # saving an assessment (validation, one transaction, audit)
    plain = (evaluated["status"] == "open") & (evaluated["region"] == "proximal") & ~evaluated["post_operative"]
    open_episode = int(evaluated[plain & ~evaluated["red_flag"]].iloc[0]["episode_id"])  # the values are VISA-H
    values = {
        "assessed_on": date.today(),
        "pain_avg": 3,
        "pain_worst": 5,
        "next_morning": "settled",
        "bridge_reps_left": 20,
        "bridge_reps_right": 24,
        "visa_h_1": 5,
        "visa_h_2": 5,
        "visa_h_3": 5,
        "visa_h_4": 5,
        "visa_h_5": 5,
        "visa_h_6": 5,
        "visa_h_7": 4,
        "visa_h_8": 15,
    }
    results["save assessment"] = _median_ms(lambda: records.record_assessment(db, admin, open_episode, values), runs=50)
    try:
        from dashboard.services import handouts

        results["handout"] = _median_ms(lambda: handouts.build_for_episode(db, admin, open_episode), runs=30)
        started = time.perf_counter()
        ids = [int(i) for i in evaluated[evaluated["status"] == "open"]["episode_id"][:500]]
        for episode_id in ids:
            handouts.build_for_episode(db, admin, episode_id)
        results["500 handouts s"] = time.perf_counter() - started
    except ImportError:
        pass
    results["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.update({f"{k} cold": v for k, v in COLD.items()})
    db.close()
    return results


def table(all_results: list[dict]) -> str:
    lines = [
        "| episodes | measure | median ms | floor ms | ratio | target | met | cold ms |",
        "|---:|---|---:|---:|---:|---|:-:|---:|",
    ]
    for r in all_results:
        for name in ("caseload", "timeline", "case", "save assessment", "handout"):
            if name not in r:
                continue
            floor = r.get(f"{name} floor")
            ratio = r[name] / floor if floor else None
            kind, limit = TARGETS[name]
            applies = name not in ("caseload", "timeline") or r["size"] >= 10_000
            if name == "case" and r["size"] < 100_000:
                applies = False
            met: bool | None
            if not applies:
                met = None
            elif kind == "ratio":
                met = None if ratio is None else ratio <= limit  # no floor measured: cannot be judged
            else:
                met = r[name] <= limit
            target = (f"<= {limit:g}x floor" if kind == "ratio" else f"<= {limit:g} ms") if applies else "-"
            lines.append(
                f"| {r['size']:,} | {name} | {r[name]:.1f} | {'' if floor is None else f'{floor:.1f}'} | "
                f"{'' if ratio is None else f'{ratio:.2f}'} | {target} | "
                f"{'' if met is None else ('yes' if met else 'NO')} | "
                f"{'' if f'{name} cold' not in r else format(r[f'{name} cold'], '.0f')} |"
            )
        extra = f"| {r['size']:,} | peak memory | {r['peak_mb']:.0f} MB | | | | | |"
        lines.append(extra)
        lines.append(
            f"| {r['size']:,} | demo build | {r['build_s'] * 1000:.0f} | | | < 60 s at 100,000 | "
            f"{'yes' if r['build_s'] < 60 else 'NO'} | |"
        )
        if "500 handouts s" in r:
            lines.append(
                f"| {r['size']:,} | 500 handouts | {r['500 handouts s'] * 1000:.0f} | | | < 15 s | "
                f"{'yes' if r['500 handouts s'] < 15 else 'NO'} | |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, help="measure one clinic size (used internally)")
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    args = parser.parse_args()
    if args.size:
        print(json.dumps(measure(args.size)))
        return 0
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"measuring {size:,} episodes...", file=sys.stderr)
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.run", "--size", str(size)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    import platform

    header = (
        f"# Benchmark results\n\nMedian of {RUNS} warm runs (after one cold run), server-side time of one "
        f"script run through streamlit.testing AppTest; floors are bare pages running one DuckDB query for "
        f"the same rows and showing them with st.dataframe. Warm runs reuse what the app keeps in memory until "
        f"the next write (rule results, the caseload window, chart specs); 'cold ms' is the first run after "
        f"a write, which recomputes them. Machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Run on {date.today().isoformat()}.\n\n"
    )
    text = header + table(results) + "\n"
    (ROOT / "benchmarks" / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
