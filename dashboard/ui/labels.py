"""How codes and records are shown to people."""

from __future__ import annotations

import re
import string
from typing import Any

import pandas as pd

from ..domain.model import label_of


def patient_name(row: dict[str, Any]) -> str:
    return f"{row['given_name']} {row['family_name']}"


def episode_title(ep: dict[str, Any]) -> str:
    side = "Bilateral" if ep["side"] == "bilateral" else label_of(ep["side"])
    return (
        f"{side} {label_of(ep['region']).lower()} hamstring tendinopathy, opened {ep['opened_on']:%d %b %Y}"
        f" ({label_of(ep['status']).lower()})"
    )


def source(text: str) -> str:
    """A rule's source as a clinician reads it: the project's clinical reference, not its file name."""
    return re.sub(r"CLINICAL\.md ?§ ?(\d+)", r"clinical reference §\1", str(text))


def yes_no(value: Any) -> str:
    if value is None:
        return "-"
    return "Yes" if value else "No"


def show(value: Any) -> str:
    """A value in words: "-" for nothing, codes as words, figures rounded to one decimal place."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return label_of(value) if isinstance(value, str) else str(value)


# -- user text in elements that read markdown ------------------------------------------------------------------
# Titles, headers, markdown, captions, alerts, and the labels of buttons, expanders, tabs, radios and metrics all
# run their text through Streamlit's markdown, which also turns :name: into emoji or icons, :red[...] into
# colour, $...$ into LaTeX, bare web and e-mail addresses into links, and &name; into characters. Patient and
# user text goes into those elements only through ``md``; elsewhere it goes into elements that show text as it
# is (st.text, st.dataframe, the options of a selectbox or multiselect, an input's value), unchanged.
_ESCAPED = frozenset(string.punctuation)  # CommonMark: a backslash before any ASCII punctuation makes it literal
_JOINER = "\u2060"  # WORD JOINER: invisible; breaks the patterns matched after escapes are read (see md)
_WWW = re.compile(r"(www)(?=\.)", re.IGNORECASE)


def md(text: Any) -> str:
    """User text made inert for any element that reads markdown: shown exactly as typed, never as markup.

    Every ASCII punctuation character is backslash-escaped, so no markdown, HTML, directive or math can start.
    Some of Streamlit's rules run on the text after escapes are read (emoji and icon shortcodes such as
    :smile:, and links made from bare addresses such as http://..., www.... or name@host): an invisible word
    joiner after a colon or @ that something follows (not in "Note: ..."), and between www and its dot,
    breaks them without changing what is shown.
    Line breaks are kept; leading spaces are kept as no-break spaces (four would start a code block)."""
    if text is None:
        return "-"
    lines = []
    for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _WWW.sub(lambda m: m.group(1) + _JOINER, line)
        escaped = "".join(
            ("\\" + ch + (_JOINER if ch in ":@" and line[i + 1 : i + 2].strip() else "")) if ch in _ESCAPED else ch
            for i, ch in enumerate(line)
        )
        body = escaped.lstrip(" \t")
        lines.append("\u00a0" * (len(escaped) - len(body)) + body)
    return "  \n".join(lines)
