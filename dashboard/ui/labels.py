"""How codes and records are shown to people."""

from __future__ import annotations

from typing import Any

from ..domain.model import label_of


def patient_name(row: dict[str, Any]) -> str:
    return f"{row['given_name']} {row['family_name']}"


def episode_title(ep: dict[str, Any]) -> str:
    side = "Bilateral" if ep["side"] == "bilateral" else label_of(ep["side"])
    return (
        f"{side} {label_of(ep['region']).lower()} hamstring tendinopathy, opened {ep['opened_on']:%d %b %Y}"
        f" ({label_of(ep['status']).lower()})"
    )


def yes_no(value: Any) -> str:
    if value is None:
        return "-"
    return "Yes" if value else "No"


def show(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return label_of(value) if isinstance(value, str) else str(value)


_MD_SPECIAL = "\\`*_{}[]<>()#+-.!|~$:"


def md(text: Any) -> str:
    """User text made inert for st.markdown: every markdown character escaped, line breaks kept."""
    if text is None:
        return "-"
    escaped = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))
    return escaped.replace("\n", "  \n")
