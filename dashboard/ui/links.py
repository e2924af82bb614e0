"""The app's pages as the router registers them: file, title and icon in one place. A link to a page from a
list of many rows passes its registered ``st.Page`` (``target``), which Streamlit links without looking the
file up on disk again for every row."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent.parent / "pages"

# url path -> (title, Material icon), in the order the sidebar lists them
TITLES = {
    "caseload": ("Caseload", "dashboard"),
    "timeline": ("Timeline", "view_timeline"),
    "register": ("Patients", "group"),
    "patient": ("Patient", "person"),
    "case": ("Case", "monitor_heart"),
    "assessment": ("Assessment", "edit_note"),
    "imaging": ("Imaging report", "radiology"),
    "handouts": ("Handouts", "print"),
    "import_patients": ("Import patients", "upload_file"),
    "users": ("Users", "manage_accounts"),
    "rules_settings": ("Settings", "tune"),
    "audit": ("Audit trail", "policy"),
    "data_admin": ("Data and backups", "backup"),
}


def page(name: str, **kw) -> st.Page:
    """The page ``name`` (a file in pages/, its url path the same) with its title and icon."""
    title, icon = TITLES[name]
    return st.Page(PAGES / f"{name}.py", title=title, icon=f":material/{icon}:", url_path=name, **kw)


@cache
def target(name: str) -> st.Page:
    """The page ``name`` as registered, for ``st.page_link`` in a list (not the default page)."""
    return page(name)
