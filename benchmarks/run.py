"""make bench: what users feel, on DuckDB and PostgreSQL, at 10,000 and 100,000 episodes.

For each engine and clinic size (each in its own process, so memory is that size's):
- the demo clinic is built (bulk loading on both engines) and its build time reported;
- a mixed run: before every page view another clinician records an assessment (a committed write, so nothing
  kept from the previous view can be reused), then the page's script runs (Streamlit AppTest, each script compiled
  once as a server compiles it, signed in with a real server-side session): the caseload for the whole clinic
  (an administrator) and for one clinician's own cases, the timeline, and a case page. Each is reported next to
  its floor, a bare page that computes the same columns for the same rows in one query and shows them with
  st.dataframe, also run after a write;
- saving an assessment (validation, the write, its audit, the alerts and the case state, one transaction):
  the median of 50 saves; then six saves started at the same moment, each one's time until it is committed;
- then (unless --no-browser) a real server and Chromium (benchmarks/browser.py): sign-in to caseload,
  caseload after another user's write, timeline and case page end to end, the server's resident memory after
  every page, and six clinicians saving at once: first through Streamlit's session protocol (six websockets
  to the real server, as six browsers at their own computers meet it: tests/session_protocol.py), then in six
  Chromiums (which on a small machine share its cores with the server).

PostgreSQL runs on a server this command starts in a temporary folder (tests/pgserver.py) with PostgreSQL's
own durability settings. Results: a Markdown table on stdout and in benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
FLOORS = ROOT / "benchmarks" / "floors"
SIZES = (10_000, 100_000)
ENGINES = ("duckdb", "postgresql")
ROUNDS = 15
SAVE_TARGET_MS = {"duckdb": 50.0, "postgresql": 80.0}
BROWSER_TARGETS = {  # at 100,000 episodes
    "sign_in_to_caseload_ms": 1500.0,
    "caseload_after_write_ms": 1000.0,
    "case_ms": 1000.0,
}
RSS_TARGET_MB = 400.0


def _stats(times: list[float]) -> dict:
    return {"median": statistics.median(times), "max": max(times), "n": len(times)}


# -- one engine and size, in its own process ------------------------------------------------------------


def _signed_in(db, user) -> dict:
    from dashboard.services import sessions

    session_id, _ = sessions.start(db, user, method="password")
    return {"auth_session": session_id}


def _compile_once() -> None:
    """A Streamlit server compiles each script once (its runtime keeps one script cache for every session);
    AppTest makes a new cache for every run, so each timed run would compile the router and the page again,
    which no user waits for. One cache for the whole measurement, for the pages and their floors alike."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    for module in (app_test, local_script_runner):  # (Streamlit's internals: say so if they move)
        if not hasattr(module, "ScriptCache"):
            raise RuntimeError(f"{module.__name__} no longer makes a ScriptCache: see benchmarks.run._compile_once")
    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]


def _apptest(script: Path, state: dict, page: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=300)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _timed_after_writes(at, write, rounds: int) -> dict:
    times = []
    for _ in range(rounds):
        write()
        started = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - started) * 1000)
        assert not at.exception, [e.value for e in at.exception]
    return _stats(times)


class Writer:
    """Another clinician recording assessments on their open cases, one after another."""

    def __init__(self, db, user, episodes: list[int]) -> None:
        self.db, self.user, self.episodes, self.n = db, user, episodes, 0

    def values(self) -> dict:
        return {
            "assessed_on": date.today(),
            "pain_avg": 3 + self.n % 3,
            "pain_worst": 6,
            "next_morning": "settled",
            "bridge_reps_left": 20,
            "bridge_reps_right": 24,
            **{f"visa_h_{i}": 5 for i in range(1, 7)},
            "visa_h_7": 4,
            "visa_h_8": 15,
        }

    def __call__(self, episode_id: int | None = None) -> float:
        from dashboard.services import records

        target = episode_id if episode_id is not None else self.episodes[self.n % len(self.episodes)]
        self.n += 1
        started = time.perf_counter()
        records.record_assessment(self.db, self.user, target, self.values())
        return (time.perf_counter() - started) * 1000


def measure(engine: str, size: int, target: str) -> dict:
    from dashboard.domain.model import Role, User
    from dashboard.services.demo import build_demo
    from dashboard.storage.db import open_database

    _compile_once()
    started = time.perf_counter()
    db = open_database(target)
    build_demo(db, cases=size, seed=1)
    results: dict = {"engine": engine, "size": size, "build_s": time.perf_counter() - started}
    os.environ["CLINIC_DB"] = target

    def user(name: str) -> User:
        row = db.row("SELECT user_id, username, display_name, role FROM users WHERE username = ?", [name])
        assert row is not None, name
        return User(row["user_id"], row["username"], row["display_name"], Role(row["role"]))

    admin, viewer, writer_user = user("admin"), user("amara.okafor"), user("lukas.brenner")
    plain = (
        "SELECT e.episode_id FROM episodes e WHERE e.status = 'open' AND e.clinician_id = ? AND e.region = 'proximal'"
        " AND NOT e.post_operative AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id"
        " AND r.status = 'open') ORDER BY e.episode_id LIMIT 60"
    )
    writer_cases = [r["episode_id"] for r in db.rows(plain, [writer_user.user_id])]
    viewer_case = db.rows(plain, [viewer.user_id])[0]["episode_id"]
    write = Writer(db, writer_user, writer_cases)
    app = ROOT / "dashboard" / "app.py"

    pages = {
        "caseload (whole clinic)": (app, admin, "caseload", {}, FLOORS / "caseload_floor.py"),
        "caseload (my cases)": (app, viewer, "caseload", {}, FLOORS / "caseload_floor.py"),
        "timeline": (app, admin, "timeline", {}, FLOORS / "timeline_floor.py"),
        "case": (app, viewer, "case", {"episode_id": viewer_case}, FLOORS / "case_floor.py"),
    }
    for name, (script, who, page, state, floor) in pages.items():
        at = _apptest(script, {**_signed_in(db, who), **state}, page)
        results[name] = _timed_after_writes(at, write, ROUNDS)
        floor_state = {**state, "bench_user_id": who.user_id, "bench_whole_clinic": who.role == Role.ADMINISTRATOR}
        at = _apptest(floor, floor_state)
        results[f"{name} floor"] = _timed_after_writes(at, write, ROUNDS)

    saves = [write() for _ in range(50)]
    results["save assessment"] = _stats(saves)
    results["six saves at once"] = _six_at_once(db, writer_user, writer_cases, write)
    results["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db.close()
    return results


def _six_at_once(db, user, cases: list[int], writer: Writer) -> list[float]:
    """Six saves started together (threads released by one barrier); each one's time until committed."""
    from dashboard.services import records

    barrier = threading.Barrier(6)
    times: list[float] = [0.0] * 6
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            values = writer.values()
            barrier.wait()
            started = time.perf_counter()
            records.record_assessment(db, user, cases[-1 - i], values)
            times[i] = (time.perf_counter() - started) * 1000
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return times


# -- the whole run --------------------------------------------------------------------------------------


def _target(engine: str, size: int, pg) -> str:
    if engine == "duckdb":
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / f"clinic_{size}.duckdb"
        for stale in (path, Path(str(path) + ".wal")):
            stale.unlink(missing_ok=True)
        return str(path)
    name = f"bench_{size}"
    pg.drop(name)
    return pg.url(pg.create(name=name))


def _ratio(r: dict, name: str) -> float | None:
    floor = r.get(f"{name} floor")
    return r[name]["median"] / floor["median"] if floor and name in r else None


def table(results: list[dict]) -> str:
    lines = [
        "| engine | episodes | measure (after another user's write) | median ms | max ms | floor ms | ratio | target"
        " | met |",
        "|---|---:|---|---:|---:|---:|---:|---|:-:|",
    ]
    for r in results:
        head = f"| {r['engine']} | {r['size']:,} |"
        for name in ("caseload (whole clinic)", "caseload (my cases)", "timeline", "case"):
            if name not in r:
                continue
            ratio = _ratio(r, name)
            floor = r[f"{name} floor"]["median"]
            judged = name != "case"
            met = "" if not judged or ratio is None else ("yes" if ratio <= 2.0 else "NO")
            lines.append(
                f"{head} {name} | {r[name]['median']:.1f} | {r[name]['max']:.1f} | {floor:.1f} | {ratio:.2f} | "
                f"{'<= 2x floor' if judged else '-'} | {met} |"
            )
        save = r["save assessment"]
        limit = SAVE_TARGET_MS[r["engine"]]
        lines.append(
            f"{head} save assessment (50) | {save['median']:.1f} | {save['max']:.1f} | | | <= {limit:g} ms median"
            f" | {'yes' if save['median'] <= limit else 'NO'} |"
        )
        six = r["six saves at once"]
        lines.append(
            f"{head} six saves at once (each) | {statistics.median(six):.1f} | {max(six):.1f} | | | each < 1000 ms"
            f" | {'yes' if max(six) < 1000 else 'NO'} |"
        )
        lines.append(f"{head} peak memory of the measuring process | {r['peak_mb']:.0f} MB | | | | | |")
        lines.append(f"{head} demo build | {r['build_s'] * 1000:.0f} | | | | | |")
        b = r.get("browser")
        if b:
            big = r["size"] >= 100_000
            for key, label in (
                ("sign_in_to_caseload_ms", "browser: sign-in to caseload"),
                ("caseload_after_write_ms", "browser: caseload after a write"),
                ("timeline_ms", "browser: timeline"),
                ("case_ms", "browser: case page"),
            ):
                if key not in b:
                    continue
                goal = BROWSER_TARGETS.get(key)
                judged = big and goal is not None
                met = ("yes" if b[key]["median"] < goal else "NO") if judged and goal else ""
                lines.append(
                    f"{head} {label} | {b[key]['median']:.0f} | {b[key]['max']:.0f} | | | "
                    f"{f'< {goal:g} ms' if judged and goal else '-'} | {met} |"
                )
            if "rss_mb" in b:
                met = ("yes" if b["rss_mb"] < RSS_TARGET_MB else "NO") if big else ""
                lines.append(
                    f"{head} browser: server memory after every page | {b['rss_mb']:.0f} MB | | | | "
                    f"{f'< {RSS_TARGET_MB:g} MB' if big else '-'} | {met} |"
                )
            if "six_sessions_confirmed_ms" in b:
                got, done = b["six_sessions_confirmed_ms"], b["six_sessions_finished_ms"]
                lines.append(
                    f"{head} six sessions saving at once through Streamlit's session protocol, until each one's"
                    f" confirmation arrives | {statistics.median(got):.0f} | {max(got):.0f} | | | each < 1000 ms"
                    f" | {'yes' if max(got) < 1000 else 'NO'} |"
                )
                lines.append(
                    f"{head} six sessions saving at once through Streamlit's session protocol, until each one's case"
                    f" page has been sent | {statistics.median(done):.0f} | {max(done):.0f} | | | - | |"
                )
            if "six_saves_arrived_ms" in b:
                came = b["six_saves_arrived_ms"]
                lines.append(
                    f"{head} browser: six sessions saving at once, until each one's confirmation reaches its browser"
                    f" | {statistics.median(came):.0f} | {max(came):.0f} | | | - | |"
                )
            if "six_saves_ms" in b:
                six = b["six_saves_ms"]
                lines.append(
                    f"{head} browser: six sessions saving at once, until each sees its confirmation | "
                    f"{statistics.median(six):.0f} | "
                    f"{max(six):.0f} | | | each < 1000 ms | {'yes' if max(six) < 1000 else 'NO'} |"
                )
            if "six_saves_settled_ms" in b:
                after = b["six_saves_settled_ms"]
                lines.append(
                    f"{head} browser: six sessions saving at once, until the case page is drawn | "
                    f"{statistics.median(after):.0f} | {max(after):.0f} | | | - | |"
                )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", nargs=3, metavar=("ENGINE", "SIZE", "TARGET"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--no-browser", action="store_true", help="skip the real-browser timings")
    args = parser.parse_args()
    if args.measure:
        engine, size, target = args.measure
        print(json.dumps(measure(engine, int(size), target)))
        return 0
    from tests.pgserver import PgServer

    engines = [e for e in args.engines.split(",") if e]
    pg = PgServer(durable=True) if "postgresql" in engines else None
    results = []
    try:
        for engine in engines:
            for size in (int(s) for s in args.sizes.split(",")):
                print(f"measuring {engine} at {size:,} episodes...", file=sys.stderr)
                target = _target(engine, size, pg)
                done = subprocess.run(
                    [sys.executable, "-m", "benchmarks.run", "--measure", engine, str(size), target],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                if done.returncode != 0:
                    print(done.stderr[-4000:], file=sys.stderr)
                    return done.returncode
                result = json.loads(done.stdout.strip().splitlines()[-1])
                if not args.no_browser:
                    from benchmarks import browser

                    print(f"  real browser on {engine} at {size:,} episodes...", file=sys.stderr)
                    result["browser"] = browser.measure(target, label=f"{engine} {size}")
                results.append(result)
                print(table([result]), file=sys.stderr)
    finally:
        if pg is not None:
            pg.stop()
    header = (
        "# Benchmark results\n\n"
        f"Every page time is one script run through streamlit.testing AppTest (each script compiled once, as a "
        f"server does), signed in, right after another "
        f"clinician's committed write (median and max of {ROUNDS}); each floor is a bare page that computes the "
        f"same columns for the same rows in one query (from the case state) and shows them with st.dataframe, also "
        f"after a write. Saves go through the service (validation, write, audit, alerts, case state, one "
        f"transaction). Browser rows: Chromium end to end until the page settles. PostgreSQL 15 on this machine "
        f"with its default durability. Machine: {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Run on {date.today().isoformat()}.\n\n"
    )
    text = header + table(results) + "\n"
    (ROOT / "benchmarks" / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
