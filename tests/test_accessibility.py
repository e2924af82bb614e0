"""Issue 14, accessibility: axe-core 4.14 (WCAG 2.2 AA, from the npm registry: tests/axe) runs in Chromium on
every page of the app, signed in as an administrator (who sees them all), on a case with an open red flag,
and on the caseload's table view. The test fails on any serious or critical violation the app's own content
causes; violations inside Streamlit's own chrome are listed, with their counts, at the end of the run (the
same checks as scripts/accessibility_report.py: tests/accessibility.py)."""

import duckdb
import pytest

from tests import accessibility
from tests.browser_helpers import after, needs_browser, sign_in
from tests.conftest import ACCESSIBILITY

pytestmark = [
    *needs_browser,
    pytest.mark.skipif(not accessibility.AXE.exists(), reason="axe-core is not installed (make test installs it)"),
]


@pytest.fixture(scope="module")
def red_flag_case(demo_template):
    """An open episode with an open red flag and assessments (the busiest case page): (episode, patient)."""
    with duckdb.connect(str(demo_template), read_only=True) as con:
        return con.execute(
            "SELECT e.episode_id, e.patient_id FROM episodes e"
            " WHERE e.status = 'open' AND EXISTS (SELECT 1 FROM red_flag_alerts r"
            "   WHERE r.episode_id = e.episode_id AND r.status = 'open')"
            " AND EXISTS (SELECT 1 FROM assessments a WHERE a.episode_id = e.episode_id)"
            " ORDER BY e.episode_id LIMIT 1"
        ).fetchone()


def test_no_serious_or_critical_violation_of_the_apps_own_content_on_any_page(page, server, red_flag_case):
    episode, patient = red_flag_case
    accessibility.visit(page, server.url)
    results = [accessibility.check(page, "sign_in")]
    sign_in(page, server, "admin")
    for result in accessibility.every_page(page, server.url, episode, patient):
        results.append(result)
        page.shots(result.name)
    accessibility.visit(page, server.url)  # the caseload again, as the table of every column
    after(page, lambda: page.get_by_text("Table (every column)", exact=True).click())
    results.append(accessibility.check(page, "caseload_table"))
    page.shots("caseload_table")

    ACCESSIBILITY.extend(result.line() for result in results)
    ACCESSIBILITY.append("Streamlit's own (not the app's content), by rule:")
    ACCESSIBILITY.extend("  " + line for line in accessibility.streamlit_summary(results) or ["none"])
    found = {
        result.name: [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:160]}" for v in result.serious]
        for result in results
        if result.serious
    }
    assert found == {}, found
