"""Patient import timings (issue 12): 10,000 and 200,000 rows into a demo clinic, while another user signs in
and saves an assessment over and over in another thread; prints how long the import took and the longest
sign-in + save meanwhile. ``python -m benchmarks.import_timing [--rows 10000 200000]``.

Targets: 10,000 rows under 5 s, 200,000 under 60 s, no sign-in or save waiting 1 s or more.
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from datetime import date
from pathlib import Path

from dashboard.domain.model import SYSTEM_USER, Role, User
from dashboard.services import auth, records
from dashboard.services.demo import DEMO_PASSWORD, build_demo
from dashboard.services.importer import import_patients_csv
from dashboard.storage.db import Database

WORK = Path(__file__).resolve().parent / "work" / "import"
HEADER = "patient_id,given_name,family_name,date_of_birth,sex,phone,email,side,region,onset_date,clinician\n"


def csv_rows(n: int) -> bytes:
    """``n`` patients, each with an episode, in the words other systems export (F/M, L/R)."""
    lines = (
        f"IMP-{i},Given{i},Family{i},19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d},{'F' if i % 2 else 'M'},"
        f"+44 20 7946 {i % 10000:04d},p{i}@example.org,{'L' if i % 3 else 'R'},proximal,2026-08-01,amara.okafor\n"
        for i in range(n)
    )
    return (HEADER + "".join(lines)).encode()


def measure(rows: int, template: Path) -> dict[str, float]:
    path = WORK / f"import-{rows}.duckdb"
    path.unlink(missing_ok=True)
    shutil.copy(template, path)
    db = Database(path)
    data = csv_rows(rows)
    clin = User(2, "amara.okafor", "Amara Okafor", Role.CLINICIAN)
    episode_id = db.scalar(
        "SELECT min(episode_id) FROM episodes e WHERE status = 'open' AND NOT EXISTS"
        " (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id AND r.status = 'open')"
    )
    waits: list[float] = []
    done = threading.Event()

    def another_user() -> None:
        while not done.is_set():
            started = time.perf_counter()
            auth.sign_in(db, "mei.tanaka", DEMO_PASSWORD)
            records.record_assessment(
                db, clin, episode_id, {"assessed_on": date.today(), "pain_avg": 2, "pain_worst": 3}
            )
            waits.append(time.perf_counter() - started)
            time.sleep(0.05)

    other = threading.Thread(target=another_user)
    other.start()
    started = time.perf_counter()
    try:
        report = import_patients_csv(db, SYSTEM_USER, data)
    finally:
        took = time.perf_counter() - started
        done.set()
        other.join()
        db.close()
    assert report["patients"] == rows
    return {
        "rows": rows,
        "seconds": took,
        "rounds": len(waits),
        "longest": max(waits),
        "median": sorted(waits)[len(waits) // 2],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 200_000])
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    template = WORK / "template.duckdb"
    if not template.exists():
        db = Database(template)
        build_demo(db, cases=1_000, seed=1)
        db.close()
    print("| rows | import (s) | sign-in + save rounds meanwhile | longest (s) | median (s) |")
    print("|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        r = measure(rows, template)
        print(f"| {rows:,} | {r['seconds']:.1f} | {r['rounds']} | {r['longest']:.2f} | {r['median']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
