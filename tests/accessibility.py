"""axe-core (WCAG 2.2 AA) in Debian's Chromium, shared by the accessibility test (tests/test_accessibility.py)
and the report (scripts/accessibility_report.py): run axe on a page, split what it finds into violations the
app's own content causes and those inside Streamlit's own chrome, and visit every page of the app.

axe-core comes from the npm registry into tests/axe/node_modules (make test installs it, locked with its
integrity hash in tests/axe/package-lock.json)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser_helpers import SETTLED, WAIT

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Streamlit's own chrome: violations wholly inside these come from Streamlit, not from the app's content.
STREAMLIT_PARTS = (
    "stSidebarNav",
    "stToolbar",
    "stHeader",
    "stMainMenu",
    "stDecoration",
    "stSidebarCollapse",
    "stSidebarHeader",
    "stStatusWidget",
    "stBaseButton-headerNoPadding",
    "stAppDeployButton",
)
# Every page of the app (url path; "" is the caseload, the start page) and whether it needs the case or
# patient in the address bar.
PAGES = [
    ("caseload", ""),
    ("timeline", "timeline"),
    ("register", "register"),
    ("patient", "patient"),
    ("case", "case"),
    ("assessment", "assessment"),
    ("imaging", "imaging"),
    ("handouts", "handouts"),
    ("import_patients", "import_patients"),
    ("users", "users"),
    ("rules_settings", "rules_settings"),
    ("audit", "audit"),
    ("data_admin", "data_admin"),
]
WITH_CASE = {"patient", "case", "assessment", "imaging", "handouts"}
SERIOUS = ("serious", "critical")


@dataclass
class PageResult:
    name: str
    app: list[dict] = field(default_factory=list)  # violations (rule, impact, nodes) of the app's own content
    streamlit: list[dict] = field(default_factory=list)  # violations wholly inside Streamlit's chrome

    @staticmethod
    def count(violations: list[dict]) -> int:
        return sum(len(v["nodes"]) for v in violations)

    @property
    def serious(self) -> list[dict]:
        return [v for v in self.app if v["impact"] in SERIOUS]

    def line(self) -> str:
        rules = ", ".join(f"{v['id']}({len(v['nodes'])},{v['impact']})" for v in self.app) or "-"
        return (
            f"{self.name:<16} app {self.count(self.app):>3}  streamlit {self.count(self.streamlit):>3}"
            f"  | app rules: {rules}"
        )


def run_axe(page) -> list[dict]:
    """axe's violations on the page as it is, each node marked with whether it sits inside Streamlit's chrome."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async ([parts, tags]) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " for (const v of r.violations) for (const n of v.nodes) {"
        "  const el = document.querySelector(n.target[0]);"
        "  n.streamlit = !!el && parts.some(p => el.closest('[data-testid=\"' + p + '\"]')); }"
        " return r.violations; }",
        [list(STREAMLIT_PARTS), TAGS],
    )


def streamlit_caused(violation: dict) -> bool:
    return all(node.get("streamlit") for node in violation["nodes"])


def check(page, name: str) -> PageResult:
    violations = run_axe(page)
    return PageResult(
        name,
        app=[v for v in violations if not streamlit_caused(v)],
        streamlit=[v for v in violations if streamlit_caused(v)],
    )


def visit(page, url: str) -> None:
    """Go to ``url`` and wait for the app's first run there to finish and every element to be drawn."""
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=WAIT)
    page.wait_for_function(f"window.__stRuns > 0 && {SETTLED}", timeout=WAIT)


def every_page(page, base_url: str, episode: int, patient: int):
    """Visit each page of the app in turn (signed in as an administrator, who sees them all); yield its result."""
    for name, path in PAGES:
        query = f"?episode={episode}&patient={patient}" if name in WITH_CASE else ""
        visit(page, f"{base_url}/{path}{query}")
        yield check(page, name)


def streamlit_summary(results: list[PageResult]) -> list[str]:
    """Streamlit-caused violations by rule, with how many elements and on how many pages."""
    elements: Counter = Counter()
    pages: Counter = Counter()
    impact: dict[str, str] = {}
    for result in results:
        for v in result.streamlit:
            elements[v["id"]] += len(v["nodes"])
            pages[v["id"]] += 1
            impact[v["id"]] = v["impact"]
    return [f"{rule} ({impact[rule]}): {n} element(s) on {pages[rule]} page(s)" for rule, n in elements.most_common()]
