"""Runs axe-core (WCAG 2.2 AA) in Debian's Chromium on every page of the demo clinic and prints, per page,
the violations by impact, split into those the app's own content causes and those of Streamlit's own
widgets (`--detail` shows the elements). The same checks are a test: tests/test_accessibility.py; both use
tests/accessibility.py.

    .venv/bin/python scripts/accessibility_report.py [--detail] [--width 1024]

axe-core comes from the npm registry into tests/axe/node_modules (make test installs it)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from dashboard.services.demo import build_demo  # noqa: E402
from dashboard.storage.db import Database  # noqa: E402
from tests import accessibility  # noqa: E402
from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, RUN_COUNTER  # noqa: E402
from tests.serverproc import Server  # noqa: E402


def main() -> int:
    if not accessibility.AXE.exists():
        print("axe-core missing: run  npm ci --prefix tests/axe  (make test does)", file=sys.stderr)
        return 2
    width = int(sys.argv[sys.argv.index("--width") + 1]) if "--width" in sys.argv else 1440
    folder = Path(tempfile.mkdtemp())
    db = Database(folder / "demo.duckdb")
    build_demo(db, cases=150, seed=1)
    episode = db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    patient = db.scalar("SELECT patient_id FROM episodes WHERE episode_id = ?", [episode])
    db.close()
    server = Server(folder / "demo.duckdb").wait_ready()
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": width, "height": 1000})
            context.add_init_script(RUN_COUNTER)
            page = context.new_page()
            page.set_default_timeout(60_000)
            accessibility.visit(page, server.url)
            results.append(report(accessibility.check(page, "sign_in")))
            page.get_by_label("Username").fill("admin")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Caseload").wait_for()
            for result in accessibility.every_page(page, server.url, episode, patient):
                results.append(report(result))
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    count = accessibility.PageResult.count
    print(
        f"\nall pages: app-caused {sum(count(r.app) for r in results)} elements, Streamlit-caused "
        f"{sum(count(r.streamlit) for r in results)} elements; serious or critical (app) "
        f"{sum(count(r.serious) for r in results)}"
    )
    print("Streamlit-caused, by rule:")
    for line in accessibility.streamlit_summary(results):
        print("  " + line)
    return 0


def report(result: accessibility.PageResult) -> accessibility.PageResult:
    if "--detail" in sys.argv:
        for v in result.app + (result.streamlit if "--streamlit" in sys.argv else []):
            for node in v["nodes"][:3]:
                print(f"    {v['id']}: {node['html'][:140]} :: {node.get('failureSummary', '')[:160]!r}")
    print(result.line())
    return result


if __name__ == "__main__":
    sys.exit(main())
