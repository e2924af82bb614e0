"""Streamlit's own session protocol, spoken to the real server (issue #15's "real server ... or Streamlit's
session API"): a ``Session`` is a browser tab as the server sees it, the websocket a browser opens
(``/_stcore/stream``), the messages a browser sends (``BackMsg``: the page, its widgets' values, a button press)
and the ones it receives (``ForwardMsg``), with nothing drawn.

``six_saves``: six clinicians sign in through the sign-in form, open an assessment form each, fill it in, and
press "Save assessment" at the same moment; each is timed from sending its press until the message carrying
its confirmation arrives, and until its case page's run has finished. ``make bench`` reports it
(benchmarks/browser.py) as the server meets six clinicians at their own computers, next to the same six saves
in six Chromiums (which on a two-core machine share the server's cores, so that there the browsers' drawing of
each other's case pages is most of what is timed); tests/test_concurrent_sessions.py checks that every save
lands and is confirmed.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

import websockets  # the app's own (Streamlit's) dependency, locked in requirements.txt
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState

# The demo clinic's administrator and five clinicians: the six who save at once (make bench and its test)
SAVERS = ("admin", "amara.okafor", "lukas.brenner", "sofia.papadaki", "ian.mcallister", "mei.tanaka")
WAIT_S = 180.0  # for one script run's messages (each wait ends as soon as the run has finished)


class AppError(RuntimeError):
    """The page showed an exception, or the run did not finish as a browser would expect."""


@dataclass
class Run:
    """What one script run sent: its widgets by label, its texts, when ``until`` first matched (s), and when it
    finished (s), both from sending the message that started it."""

    widgets: dict[str, tuple[str, Any]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    matched: float | None = None
    finished: float = 0.0


class Session:
    """One tab: widget values are kept and sent with every run, as the browser's widget manager does; a button
    press is sent once; the widgets a run no longer draws are forgotten when it finishes."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.widgets: dict[str, tuple[str, Any]] = {}  # the last run's widgets, by label
        self.values: dict[str, WidgetState] = {}  # by widget id
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""

    @classmethod
    async def open(cls, base: str) -> Session:
        url = base.replace("http", "ws", 1) + "/_stcore/stream"
        return cls(await websockets.connect(url, subprotocols=[websockets.Subprotocol("streamlit")], max_size=None))

    async def close(self) -> None:
        await self.socket.close()

    def _state(self, label: str, value: Any) -> WidgetState:
        if label not in self.widgets:
            raise AppError(f"no field {label!r} on the page; it has {sorted(self.widgets)}")
        kind, element = self.widgets[label]
        state = WidgetState(id=element.id)
        if kind == "number_input":
            if element.data_type == NumberInput.INT:
                state.int_value = int(value)
            else:
                state.double_value = float(value)
        elif kind in ("text_input", "text_area"):
            state.string_value = str(value)
        elif kind == "checkbox":
            state.bool_value = bool(value)
        else:
            raise AppError(f"{label!r} is a {kind}, which this client does not fill in")
        return state

    def press_message(
        self,
        *,
        page: str | None = None,
        query: str = "",
        values: dict[str, Any] | None = None,
        press: str | None = None,
    ) -> bytes:
        """The message a browser sends for a run: open ``page`` (its url path) with ``query``, or rerun the
        current page; with ``values`` entered and ``press`` (a button's label) pressed."""
        message = BackMsg()
        client = message.rerun_script
        client.query_string = query
        if page is not None:
            client.page_name = page
            client.page_script_hash = self.pages.get(page, "")
        else:
            client.page_script_hash = self.page_hash
        for label, value in (values or {}).items():
            state = self._state(label, value)
            self.values[state.id] = state
        client.widget_states.widgets.extend(self.values.values())
        if press is not None:
            if press not in self.widgets:
                raise AppError(f"no button {press!r} on the page; it has {sorted(self.widgets)}")
            client.widget_states.widgets.append(WidgetState(id=self.widgets[press][1].id, trigger_value=True))
        return message.SerializeToString()

    async def run(self, message: bytes, *, until: re.Pattern[bytes] | None = None) -> Run:
        """Send ``message`` and read what comes back until the run (and any run it switched to) has finished."""
        started = time.perf_counter()
        await self.socket.send(message)
        return await asyncio.wait_for(self._receive(started, until), WAIT_S)

    async def _receive(self, started: float, until: re.Pattern[bytes] | None) -> Run:
        run = Run()
        while True:
            raw = await self.socket.recv()
            data = raw if isinstance(raw, bytes) else raw.encode()
            if until is not None and run.matched is None and until.search(data):
                run.matched = time.perf_counter() - started
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages}
                self.page_hash = forward.navigation.page_script_hash
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                what = element.WhichOneof("type")
                if what is None:
                    continue
                if what == "exception":
                    raise AppError(f"the page showed an error: {element.exception.message}")
                body = getattr(element, what)
                if getattr(body, "id", "") and hasattr(body, "label"):
                    run.widgets[body.label] = (what, body)
                text = getattr(body, "body", "")
                if isinstance(text, str) and text:
                    run.texts.append(text)
            elif kind == "script_finished":
                if forward.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    run.finished = time.perf_counter() - started
                    self.widgets = run.widgets
                    ids = {body.id for _, body in run.widgets.values()}
                    self.values = {key: state for key, state in self.values.items() if key in ids}
                    return run
                if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise AppError("the page could not be compiled")
                # FINISHED_EARLY_FOR_RERUN: a rerun (e.g. a switch to another page) follows


def assessment_fields(note: str, *, complete: bool) -> list[tuple[str, str, tuple[str, str]]]:
    """A valid new assessment of an open proximal case with a previous visit: (kind, label, two values either
    of which will do) for every field such a visit asks that does not carry forward (``complete``), or only
    the pain scores and the plan. The browser and the session-protocol runs fill in the same."""
    from dashboard.domain.model import VISA_H_ITEMS

    fields = [
        ("number", "Average pain, last week (0-10)", ("3", "4")),
        ("number", "Worst pain, last week (0-10)", ("6", "7")),
    ]
    if complete:
        fields.append(("number", "Pain during and after the exercises (0-10)", ("2", "3")))
        for item in VISA_H_ITEMS:
            allowed = "0, 4, 7 or 10" if item.number == 7 else f"0-{item.maximum}"
            scores = ("4", "7") if item.number == 7 else ("5", "6")  # item 7 is 0, 4, 7 or 10
            fields.append(("number", f"{item.number}. {item.topic} ({allowed})", scores))
        impression = f"Proximal hamstring tendinopathy, settling ({note})"
        fields.append(("text", "Clinical impression", (impression, impression + ".")))
    plan = f"Progress isometrics; review in two weeks ({note})"
    fields.append(("text", "Plan", (plan, plan + ".")))
    return fields


async def signed_in(base: str, username: str, password: str) -> Session:
    """A new tab, signed in through the sign-in form."""
    session = await Session.open(base)
    await session.run(session.press_message())
    run = await session.run(session.press_message(values={"Username": username, "Password": password}, press="Sign in"))
    if not any(text.startswith("Signed in as") for text in run.texts):
        raise AppError(f"{username} was not signed in: the page said {run.texts[:6]}")
    return session


async def six_saves(
    base: str,
    savers: list[tuple[str, int]],
    password: str,
    fields: dict[str, Any],
    confirmation: re.Pattern[bytes],
) -> tuple[list[float], list[float]]:
    """Each (username, episode) signs in, opens the new-assessment form of its episode and enters ``fields``
    (label -> value); then every one presses "Save assessment" at once. Returns (ms from each press until
    its confirmation arrived, ms until its case page's run finished)."""
    sessions = []
    try:
        for username, episode_id in savers:  # one at a time: sign-in is throttled work
            session = await signed_in(base, username, password)
            sessions.append(session)
            await session.run(session.press_message(page="assessment", query=f"episode={episode_id}"))
            await session.run(session.press_message(values=fields))
            if "Save assessment" not in session.widgets:
                raise AppError(f"no Save button on episode {episode_id}'s form")
        presses = [s.press_message(press="Save assessment") for s in sessions]
        runs = await asyncio.gather(
            *(s.run(message, until=confirmation) for s, message in zip(sessions, presses, strict=True))
        )
    finally:
        for session in sessions:
            await session.close()
    missing = [username for (username, _), run in zip(savers, runs, strict=True) if run.matched is None]
    if missing:
        raise AppError(f"no confirmation reached {', '.join(missing)}")
    return [(run.matched or 0) * 1000 for run in runs], [run.finished * 1000 for run in runs]
