"""Helpers to drive the real app with streamlit's AppTest."""

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.domain.model import Role, User

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def signed_in(db_path, user: User) -> dict:
    """The session state of a browser tab in which ``user`` has just signed in: a real server-side session."""
    from dashboard.services import sessions
    from dashboard.storage.db import open_database

    db = open_database(db_path)
    try:
        session_id, _ = sessions.start(db, user, method="password")
    finally:
        db.close()
    return {"auth_session": session_id}


def start(monkeypatch, db_path, user: User | None = None, **state) -> AppTest:
    monkeypatch.setenv("CLINIC_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        for key, value in signed_in(db_path, user).items():
            at.session_state[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label] + [b for b in at.form_submit_button if b.label == label]
    assert matches, f"no button {label!r}: {[b.label for b in at.button] + [b.label for b in at.form_submit_button]}"
    return matches[0]


def texts(at: AppTest) -> str:
    """Everything a person would read on the page, as one string."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
        "metric",
        "page_link",
    ):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    for table in list(at.dataframe) + list(at.table):
        parts.append(table.value.to_string())
    return shown("\n".join(parts))


def shown(markdown: str) -> str:
    """Markdown source as a person reads it: user text is escaped for markdown by ui.labels.md (backslashes
    before punctuation, invisible word joiners); the browser shows it without them."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def as_user(db, username) -> User:
    row = db.row("SELECT user_id, username, display_name, role FROM users WHERE username = ?", [username])
    return User(row["user_id"], row["username"], row["display_name"], Role(row["role"]))


def chart_data(at: AppTest) -> list:
    """The data frames behind every Altair chart on the page (decoded from the Arrow datasets sent)."""
    import pyarrow as pa

    def walk(node):
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    frames = []
    for node in walk(at._tree):
        if getattr(node, "type", "") == "vega_lite_chart":
            for dataset in node.proto.datasets:
                frames.append(pa.ipc.open_stream(dataset.data.data).read_pandas())
    return frames
