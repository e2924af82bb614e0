"""make bench, in a real browser (issue #15 item 5b): the demo clinic served by the real app server
(``python -m dashboard serve``) and driven by Debian's Chromium (Playwright; never a downloaded browser) at
1440 x 1000, timed end to end until the page has settled (the script run finished, nothing stale, and the
element the user waits for is visible):

- sign-in to caseload: from the filled sign-in form, the click on "Sign in" until the work list is shown;
- caseload after a write: another clinician saves an assessment in a second browser, then the first user
  (the administrator: the whole clinic, the largest list) opens the Caseload page until its list is shown;
- timeline: from the caseload, the Timeline link until the chart is drawn;
- case: from the caseload, a work list row's link until the case heading, figures and rule flags are shown;

each seven times after one warm-up (median and max, ms); the server's resident memory (itself and its
children, from /proc) after every page in the sidebar has been visited once; and six signed-in users pressing
"Save assessment" at the same moment, each timed from the click until its "saved" confirmation is shown (and,
before that, the same six saves through Streamlit's session protocol with nothing drawn: tests/session_protocol.py).

    python -m benchmarks.browser --db /tmp/clinic.duckdb            # or --db postgresql://...
    python -m benchmarks.browser --db ... --shots /tmp/shots        # plus a screenshot of every page

The clinic is one built by ``python -m dashboard demo --db TARGET --cases N``; the run writes to it (drafts,
sign-in sessions), so give it a copy. ``measure(target, label=...)`` returns the figures as a dict (the JSON
printed by the command line); the server and the browser are stopped even when a step fails. No step waits
for a fixed time: each waits for the page's settled state (tests/browser_helpers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests import session_protocol
from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS, PASSWORD, RUN_COUNTER, SETTLED
from tests.serverproc import Server
from tests.session_protocol import SAVERS, assessment_fields

VIEWPORT = {"width": 1440, "height": 1000}
# ms: generous, for a busy two-core machine (each wait ends as soon as its state is reached)
WAIT = int(os.environ.get("BENCH_BROWSER_WAIT_MS", "180000"))
REPEATS = 7  # timed runs of each journey, after one warm-up
MAIN_USER = "admin"  # the whole clinic: the largest caseload and timeline
WRITER = "amara.okafor"  # the colleague whose save makes every kept result stale
# Counts the script runs the page has seen start (next to RUN_COUNTER's finished ones): a field left with a new
# value has been taken up by the server once a run starts.
RUN_STARTS = """
(() => {
  window.__stStarts = 0;
  let last = null;
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state === 'running' && last !== 'running') window.__stStarts += 1;
    last = state;
  }).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-test-script-state']});
})();
"""
TAKEN_UP = 20_000  # ms for a field's change to start a run before it is typed again (it is then typed again)
STATE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return {runs: window.__stRuns, starts: window.__stStarts, url: location.href,
          state: app ? app.getAttribute('data-test-script-state') : null,
          stale: document.querySelectorAll('[data-stale="true"]').length,
          status: !!document.querySelector('[data-testid="stStatusWidget"]'),
          skeleton: !!document.querySelector('[data-testid="stSkeleton"]')};
}"""

# -- what "shown" means, page by page (JavaScript expressions, checked with the page settled) --------------


def _visible(selector: str) -> str:
    return (
        "(() => { const e = document.querySelector(" + json.dumps(selector) + "); if (!e) return false;"
        " const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })()"
    )


def _has_text(selector: str, text: str) -> str:
    return (
        f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
        f".some(e => e.textContent.includes({json.dumps(text)}) && e.getBoundingClientRect().height > 0)"
    )


WORK_LIST = _visible('[class*="st-key-clrow_"] a')  # the caseload's first row's link
CHART = _visible('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks')
CASE = " && ".join(
    (
        _visible("h1"),
        _has_text('[data-testid="stMetricLabel"]', "Weeks in episode"),
        _has_text("strong", "Flags:"),  # the rules' verdict
    )
)
# The save's confirmation: the router's toast ("Assessment of ... saved.") or the case page's message under the
# red-flag banner ("... saved as a draft; ..."), whichever the browser shows first.
SAVED = (
    "("
    + _has_text('[data-testid="stToast"]', "saved.")
    + " || "
    + _has_text('[data-testid="stAlertContentSuccess"]', "saved as a draft")
    + ")"
)
CONFIRMATION = re.compile(rb"Assessment of \d\d \w{3} \d{4} saved")  # the toast's text and the message's


def _heading(name: str) -> str:
    return _has_text("h1", name)


def _stats(times: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(times), 1),
        "max": round(max(times), 1),
        "runs": [round(t, 1) for t in times],
    }


class Journey:
    """One browser context (its own cookies: one signed-in user) with one page."""

    def __init__(self, page: Any, base: str, shots: Path | None):
        self.page, self.base, self.shots = page, base, shots
        self.retyped = 0  # fields typed again because the page dropped the change (see ``enter``)
        self.confirmation_arrived: float | None = None  # perf_counter when the server's "saved" message came
        page.on("websocket", self._listen)

    def _listen(self, socket: Any) -> None:
        """Note when the server's message carrying the save confirmation reaches the browser (the text is in
        the websocket frame as UTF-8), before the browser has drawn it."""

        def frame(payload: Any) -> None:
            data = payload if isinstance(payload, bytes) else str(payload).encode()
            if self.confirmation_arrived is None and CONFIRMATION.search(data):
                self.confirmation_arrived = time.perf_counter()

        socket.on("framereceived", frame)

    @classmethod
    async def open(cls, browser: Any, base: str, shots: Path | None) -> Journey:
        context = await browser.new_context(viewport=VIEWPORT)
        await context.add_init_script(RUN_COUNTER)
        await context.add_init_script(RUN_STARTS)
        page = await context.new_page()
        page.set_default_timeout(WAIT)
        return cls(page, base, shots)

    async def close(self) -> None:
        await self.page.context.close()

    async def until(self, condition: str = "true") -> None:
        """Wait until the page has settled and ``condition`` holds (checked at every animation frame)."""
        await self.wait(f"{SETTLED} && ({condition})")

    async def wait(self, condition: str, timeout: int = WAIT) -> None:
        """Wait until ``condition`` holds; if it never does, say what the page was doing and keep a
        screenshot of it (with ``shots``)."""
        try:
            await self.page.wait_for_function(f"() => {condition}", timeout=timeout)
        except Exception as exc:
            if timeout < WAIT:
                raise
            state: Any = None
            with contextlib.suppress(Exception):
                state = await self.page.evaluate(STATE)
            if self.shots is not None:
                with contextlib.suppress(Exception):
                    await self.page.screenshot(path=str(self.shots / f"failed-{time.time():.0f}.png"), full_page=True)
            raise TimeoutError(f"waited {timeout} ms for {condition[:200]!r}; the page: {state}") from exc

    async def after(self, action: Callable[[], Awaitable[Any]], condition: str = "true") -> None:
        """Do ``action`` (which starts a rerun) and wait until that run has finished and ``condition`` holds."""
        before = await self.page.evaluate("window.__stRuns")
        await action()
        await self.wait(f"window.__stRuns > {before} && {SETTLED} && ({condition})")

    async def timed(self, action: Callable[[], Awaitable[Any]], condition: str, *, new_run: bool = False) -> float:
        """Milliseconds from ``action`` until the page has settled with ``condition`` true (and, with
        ``new_run``, a script run has finished since the action, or the page's address has changed: a run quick
        enough to start and end between two of the page's renders never shows its running state)."""
        before, href = await self.page.evaluate("[window.__stRuns, location.href]") if new_run else (-1, "")
        since = f"(window.__stRuns > {before} || location.href !== {json.dumps(href)})" if new_run else "true"
        started = time.perf_counter()
        await action()
        await self.wait(f"{since} && {SETTLED} && ({condition})")
        return (time.perf_counter() - started) * 1000

    async def goto(self, path: str, condition: str) -> None:
        await self.page.goto(self.base + path)
        await self.wait(f"window.__stRuns > 0 && {SETTLED} && ({condition})")

    async def fill_sign_in(self, username: str) -> None:
        await self.goto("/", _heading("Sign in"))
        await self.page.get_by_label("Username").fill(username)
        await self.page.get_by_role("textbox", name="Password").fill(PASSWORD)

    async def sign_in(self, username: str) -> None:
        await self.fill_sign_in(username)
        await self.timed(self.page.get_by_role("button", name="Sign in").click, _heading("Caseload"))

    def link(self, name: str) -> Any:
        return self.page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True)

    async def shot(self, name: str) -> None:
        if self.shots is not None:
            await self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    async def errors(self) -> list[str]:
        """The text of any exception shown on the page (red error boxes are the app's own content: red flags)."""
        found = self.page.locator('[data-testid="stException"]')
        return [text[:300] for text in await found.all_inner_texts()]

    # -- the assessment form -------------------------------------------------------------------------

    async def enter(self, box: Any, choices: list[str]) -> None:
        """Type one of ``choices`` (any will do) into ``box`` and leave it (Tab), until the server has taken it
        up: the run that leaving it starts has finished and the box still holds it. A change the page dropped
        (no run started) is typed again, key by key, as another of ``choices``: typing what the box already
        shows would not be a change."""
        first = await self.page.evaluate("window.__stRuns")
        tries: list[str] = []
        for attempt in range(6):
            shown = await box.input_value()
            value = next((c for c in choices[attempt % len(choices) :] + choices if c != shown), choices[0])
            runs, starts = await self.page.evaluate("[window.__stRuns, window.__stStarts]")
            if attempt == 0:
                await box.fill(value)
            else:
                await box.click()
                await box.press("ControlOrMeta+a")
                await box.press_sequentially(value)
            await box.press("Tab")
            try:
                await self.wait(f"window.__stStarts > {starts}", timeout=TAKEN_UP)
            except Exception:  # noqa: BLE001 - no run started: lost, or an earlier try was taken up late
                taken = await self.page.evaluate(f"() => window.__stRuns > {first} && {SETTLED}")
                if taken and await box.input_value() in choices:
                    return
                tries.append(f"{value!r}: no run started; the box holds {await box.input_value()!r}")
                self.retyped += 1
                continue
            await self.wait(f"window.__stRuns > {runs} && {SETTLED}")
            if await box.input_value() == value:
                return
            tries.append(f"{value!r}: a run finished; the box holds {await box.input_value()!r}")
            self.retyped += 1
        raise RuntimeError(f"the page did not take up any of {choices} in {len(tries)} tries: {tries}")

    async def fill_assessment(self, episode_id: int, note: str, *, complete: bool) -> None:
        """Open the new-assessment form of ``episode_id`` and fill in a valid assessment (``assessment_fields``)."""
        await self.goto(f"/assessment?episode={episode_id}", _heading("Assessment"))
        for kind, label, choices in assessment_fields(note, complete=complete):
            if kind == "number":
                box = self.page.get_by_label(label, exact=True)
            else:
                box = self.page.get_by_role("textbox", name=label, exact=True)
            await self.enter(box, list(choices))


# -- the journeys --------------------------------------------------------------------------------------------


async def _sign_in_to_caseload(browser: Any, base: str, shots: Path | None) -> list[float]:
    times = []
    for n in range(REPEATS + 1):
        journey = await Journey.open(browser, base, shots)
        try:
            await journey.fill_sign_in(MAIN_USER)
            button = journey.page.get_by_role("button", name="Sign in")
            times.append(await journey.timed(button.click, WORK_LIST))
            if n == 0:
                await journey.shot("01-caseload-after-sign-in")
        finally:
            await journey.close()
    return times[1:]


async def _caseload_after_write(main: Journey, writer: Journey, episode_id: int) -> tuple[list[float], list[float]]:
    """(the caseload's times, the writer's save times: one save alone, for the six at once)"""
    times, saves = [], []
    for n in range(REPEATS + 1):
        await main.timed(main.link("Patients").click, _heading("Patients"))
        await writer.fill_assessment(episode_id, f"caseload run {n}", complete=False)
        saves.append(await writer.timed(writer.page.get_by_role("button", name="Save assessment").click, SAVED))
        times.append(await main.timed(main.link("Caseload").click, WORK_LIST))
    await writer.shot("02-writer-saved")
    await main.shot("03-caseload-after-write")
    return times[1:], saves[1:]


async def _timeline(main: Journey) -> list[float]:
    times = []
    for _ in range(REPEATS + 1):
        await main.timed(main.link("Caseload").click, WORK_LIST)
        times.append(await main.timed(main.link("Timeline").click, CHART))
    await main.shot("04-timeline")
    return times[1:]


async def _case(main: Journey) -> list[float]:
    times = []
    for n in range(REPEATS + 1):  # a different row each time: eight different cases
        await main.timed(main.link("Caseload").click, WORK_LIST)
        row = main.page.locator('[class*="st-key-clrow_"]').nth(n).get_by_role("link").first
        times.append(await main.timed(row.click, CASE))
    await main.shot("05-case")
    return times[1:]


async def _every_page(main: Journey) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Visit every page in the sidebar once (with a case open, so the case's pages show it)."""
    links = await main.page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    names = [text.strip().split("\n")[-1].strip() for text in links]  # after the icon's ligature
    times, errors = {}, {}
    for n, name in enumerate(names):
        times[name] = round(await main.timed(main.link(name).click, "true", new_run=True), 1)  # not all have a h1
        found = await main.errors()
        if found:
            errors[name] = found
        await main.shot(f"10-page-{n:02d}-{name.lower().replace(' ', '-')}")
    return times, errors


async def _six_saves(
    browser: Any, base: str, shots: Path | None, episodes: list[int]
) -> tuple[list[float], list[float], list[float], int]:
    """(each one's time from the click on Save until the server's confirmation reached the browser; until the
    browser shows it; until the case page under it has settled; fields typed again)"""
    journeys = await asyncio.gather(*(Journey.open(browser, base, shots) for _ in SAVERS))
    try:
        for journey, username in zip(journeys, SAVERS, strict=True):  # one at a time: sign-in is throttled work
            await journey.sign_in(username)
        await asyncio.gather(
            *(
                j.fill_assessment(episode_id, f"concurrent save {n}", complete=True)
                for n, (j, episode_id) in enumerate(zip(journeys, episodes, strict=True))
            )
        )
        centres = []
        for journey in journeys:
            button = journey.page.get_by_role("button", name="Save assessment")
            await button.scroll_into_view_if_needed()
            await journey.until()
            box = await button.bounding_box()
            assert box is not None, "the Save assessment button is not on the page"
            centres.append((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
        await journeys[0].shot("06-six-saves-form-filled")

        async def save(journey: Journey, x: float, y: float) -> tuple[float, float, float]:
            """(until the confirmation reached the browser, until it is shown, until the case page under it has
            settled)"""
            journey.confirmation_arrived = None
            started = time.perf_counter()
            await journey.page.mouse.click(x, y)
            await journey.wait(SAVED)
            shown = (time.perf_counter() - started) * 1000
            arrived = ((journey.confirmation_arrived or time.perf_counter()) - started) * 1000
            await journey.wait(f"{SETTLED} && ({SAVED})")
            return arrived, shown, (time.perf_counter() - started) * 1000

        every = await asyncio.gather(*(save(j, x, y) for j, (x, y) in zip(journeys, centres, strict=True)))
        for n, journey in enumerate(journeys):
            await journey.shot(f"07-six-saves-{n}-saved")
        arrived, shown, settled = ([one[k] for one in every] for k in range(3))
        return arrived, shown, settled, sum(j.retyped for j in journeys)
    finally:
        for journey in journeys:
            await journey.close()


# -- the server ------------------------------------------------------------------------------------------------


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` and all its descendants (VmRSS from /proc), in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def _picks(target: str) -> dict[str, Any]:
    """Open proximal, non-operated episodes with a previous visit and no open red flag (so the form asks
    nothing else): one for the writer, and one for each of the six savers (a clinician's own case)."""
    from dashboard.storage.db import open_database

    db = open_database(target)
    try:
        rows = db.rows(
            "SELECT e.episode_id, u.username FROM episodes e JOIN users u ON u.user_id = e.clinician_id"
            " WHERE e.status = 'open' AND e.region = 'proximal' AND NOT e.post_operative"
            "  AND EXISTS (SELECT 1 FROM assessments a WHERE a.episode_id = e.episode_id)"
            "  AND NOT EXISTS (SELECT 1 FROM red_flag_alerts r WHERE r.episode_id = e.episode_id AND r.status = 'open')"
            " ORDER BY e.episode_id"
        )
    finally:
        db.close()
    mine: dict[str, list[int]] = {}
    for row in rows:
        mine.setdefault(row["username"], []).append(int(row["episode_id"]))
    missing = [u for u in SAVERS[1:] if len(mine.get(u, [])) < 5]
    if missing:
        raise RuntimeError(f"the clinic has too few open proximal cases for {', '.join(missing)}: a demo clinic?")
    writer_case = mine[WRITER].pop(0)
    admin_cases = [mine[WRITER].pop(0), mine[WRITER].pop(0)]  # the administrator saves on a colleague's cases
    return {
        "writer": writer_case,
        "savers": [admin_cases[0]] + [mine[u][0] for u in SAVERS[1:]],  # in six browsers
        "session_savers": [admin_cases[1]] + [mine[u][1] for u in SAVERS[1:]],  # in six protocol sessions
    }


async def _measure(base: str, server: Server, picks: dict[str, Any], shots: Path | None) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    results: dict[str, Any] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            results["sign_in_to_caseload_ms"] = _stats(await _sign_in_to_caseload(browser, base, shots))
            main = await Journey.open(browser, base, shots)
            writer = await Journey.open(browser, base, shots)
            try:
                await main.sign_in(MAIN_USER)
                await writer.sign_in(WRITER)
                caseload, saves = await _caseload_after_write(main, writer, picks["writer"])
                results["caseload_after_write_ms"] = _stats(caseload)
                results["one_save_ms"] = _stats(saves)
                retyped = writer.retyped
                await writer.close()
                results["timeline_ms"] = _stats(await _timeline(main))
                results["case_ms"] = _stats(await _case(main))
                results["page_visit_ms"], errors = await _every_page(main)
                results["rss_mb"] = round(_tree_rss_mb(server.proc.pid), 1)
                if errors:
                    results["page_errors"] = errors
            finally:
                await main.close()
            confirmed, finished = await session_protocol.six_saves(
                base,
                list(zip(SAVERS, picks["session_savers"], strict=True)),
                PASSWORD,
                {label: choices[0] for _, label, choices in assessment_fields("six sessions", complete=True)},
                CONFIRMATION,
            )
            results["six_sessions_confirmed_ms"] = [round(t, 1) for t in confirmed]
            results["six_sessions_finished_ms"] = [round(t, 1) for t in finished]
            arrived, six, settled, more = await _six_saves(browser, base, shots, picks["savers"])
            results["six_saves_arrived_ms"] = [round(t, 1) for t in arrived]
            results["six_saves_settled_ms"] = [round(t, 1) for t in settled]
            results["fields_typed_again"] = retyped + more  # changes the page dropped under load (see Journey.enter)
            results["six_saves_ms"] = [round(t, 1) for t in six]
            results["six_saves_max_ms"] = round(max(six), 1)
            results["rss_mb_after_saves"] = round(_tree_rss_mb(server.proc.pid), 1)
        finally:
            await browser.close()
    return results


def measure(db_target: str, *, label: str, shots: str | Path | None = None) -> dict[str, Any]:
    """Serve the demo clinic at ``db_target`` (a DuckDB file's path or a PostgreSQL URL) and time it in
    Chromium; ``shots``: a folder for a screenshot of each step. The clinic is written to (use a copy)."""
    picks = _picks(str(db_target))  # read before the server holds the file
    folder = Path(shots) if shots else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as work:
        server = Server(db_target, log_dir=work, extra_env={"CLINIC_REPORTS_DIR": str(Path(work) / "reports")})
        try:
            server.wait_ready(timeout=180)
            results = asyncio.run(_measure(server.url, server, picks, folder))
        except BaseException:
            server.stop()
            log = Path(server.log.name)
            if log.exists():
                sys.stderr.write("server log (last lines):\n" + "".join(log.read_text().splitlines(True)[-40:]))
            raise
        server.stop()
    return {"label": label, **results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m benchmarks.browser")
    parser.add_argument("--db", required=True, help="the demo clinic: a DuckDB file or a postgresql:// URL (a copy)")
    parser.add_argument("--label", help="name of this run in the results (default: the database's name)")
    parser.add_argument("--shots", help="save a screenshot of each step in this folder")
    args = parser.parse_args(argv)
    label = args.label or (Path(args.db).stem if "://" not in args.db else args.db.rsplit("/", 1)[-1])
    print(json.dumps(measure(args.db, label=label, shots=args.shots), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
