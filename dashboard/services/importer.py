"""Patient import for clinics moving from another system (UTF-8 CSV with a header).

Required columns: patient_id (the clinic's identifier), given_name, family_name, date_of_birth.
Optional: sex, phone, email; and side, region, onset_date, clinician (a username) which open an
episode for the patient, with optional severity (default moderate) and onset_type (default gradual).

The whole file is checked first; one bad row and nothing is imported. Rows are numbered as a spreadsheet
shows them (the header is row 1; blank rows count). Clinic IDs are unique without regard to case. The words
other systems export for sex and side (F/M, L/R, Left/Right, Bilat...) are read as the app's own and the
import reports each one it read. The checked rows are then loaded in bulk in one transaction that holds the
write lock only to commit (storage/db.py ``bulk_transaction``), so other users' sign-ins and saves go on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from ..domain import validation
from ..domain.model import FieldProblems, Tier, User
from ..storage import audit, bulk
from ..storage import records as sql
from ..storage import users as user_sql
from ..storage.db import Database, utc_now
from . import case_state
from .auth import Permission, require
from .records import OPENING_STAGE_REASON, OPENING_TIER_REASON

REQUIRED = ("patient_id", "given_name", "family_name", "date_of_birth")
OPTIONAL = ("sex", "phone", "email", "side", "region", "onset_date", "clinician", "severity", "onset_type")
EPISODE_COLUMNS = ("side", "region", "onset_date", "clinician")
MAX_ROWS = 200_000

# What other systems write, read as the app's codes (compared without case or surrounding spaces).
VOCABULARY: dict[str, dict[str, str]] = {
    "sex": {
        "f": "female",
        "female": "female",
        "w": "female",
        "woman": "female",
        "m": "male",
        "male": "male",
        "man": "male",
        "o": "other",
        "other": "other",
        "x": "other",
        "u": "not_stated",
        "unknown": "not_stated",
        "not stated": "not_stated",
        "not_stated": "not_stated",
    },
    "side": {
        "l": "left",
        "lt": "left",
        "left": "left",
        "r": "right",
        "rt": "right",
        "right": "right",
        "b": "bilateral",
        "bilat": "bilateral",
        "bilateral": "bilateral",
        "both": "bilateral",
        "l+r": "bilateral",
        "l/r": "bilateral",
    },
    "region": {
        "proximal": "proximal",
        "prox": "proximal",
        "distal medial": "distal_medial",
        "distal_medial": "distal_medial",
        "distal-medial": "distal_medial",
        "distal lateral": "distal_lateral",
        "distal_lateral": "distal_lateral",
        "distal-lateral": "distal_lateral",
    },
    "severity": {"mild": "mild", "moderate": "moderate", "chronic": "chronic"},
    "onset_type": {"gradual": "gradual", "sudden": "sudden"},
}


@dataclass
class Checked:
    """A file that passed every check: the values to load, and the words read as the app's own."""

    rows: list[tuple[dict[str, Any], dict[str, Any] | None]]
    read_as: Counter = field(default_factory=Counter)  # (column, as written, code) -> rows


def _records(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and each data row with its number as a spreadsheet shows it (the header is row 1; blank
    rows count, and a quoted line break does not start a new row)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FieldProblems(
            {"file": f"The file is not UTF-8 text (byte {exc.start}). Save it as 'CSV UTF-8' and try again."}
        ) from exc
    parsed = []
    try:
        for record in csv.reader(io.StringIO(text, newline="")):  # a Python loop lets other threads run between rows
            parsed.append(record)
    except csv.Error as exc:
        raise FieldProblems({"file": f"The file cannot be read as CSV: {exc}."}) from exc
    if not parsed:
        raise FieldProblems({"file": "The file is empty."})
    header = [h.strip().lower() for h in parsed[0]]
    rows = [(number, values) for number, values in enumerate(parsed[1:], start=2) if any(v.strip() for v in values)]
    return header, rows


def _check_header(header: list[str]) -> None:
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        where = "; ".join(
            f"{h} (columns {', '.join(str(i + 1) for i, x in enumerate(header) if x == h)})" for h in twice
        )
        raise FieldProblems({"header": f"A column appears more than once: {where}. Keep one of each and try again."})
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FieldProblems(
            {
                "header": f"Missing required column(s): {', '.join(missing)}. "
                f"The first line must name the columns: {', '.join(REQUIRED)}."
            }
        )
    unknown = [h or f"(no name, column {i + 1})" for i, h in enumerate(header) if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise FieldProblems({"header": f"Unknown column(s): {', '.join(unknown)}."})


def _read_as(row: dict[str, str], read_as: Counter) -> dict[str, str]:
    """The row with each coded value in the app's own words (unknown words are left for validation to refuse)."""
    for column, words in VOCABULARY.items():
        written = (row.get(column) or "").strip()
        code = words.get(written.lower())
        if written and code:
            if written != code:
                read_as[(column, written, code)] += 1
            row[column] = code
    return row


def check_file(db: Database, data: bytes, *, today: date | None = None) -> Checked:
    """Every row validated; raises FieldProblems keyed 'row N' (N as a spreadsheet shows it)."""
    today = today or date.today()
    header, records = _records(data)
    _check_header(header)
    if not records:
        raise FieldProblems({"file": "The file has a header but no patients."})
    if len(records) > MAX_ROWS:
        raise FieldProblems({"file": f"The file has {len(records)} rows; import at most {MAX_ROWS} at a time."})
    clinicians = {u["username"].lower(): u["user_id"] for u in user_sql.clinicians(db)}
    clinic_ids = [values[header.index("patient_id")].strip() for _, values in records if len(values) == len(header)]
    with db.cursor() as cur:
        taken = sql.existing_clinic_ids(cur, clinic_ids)
    problems: dict[str, str] = {}
    seen: dict[str, int] = {}
    checked = Checked(rows=[])
    for number, values in records:
        if len(values) != len(header):
            more_or_fewer = "More" if len(values) > len(header) else "Fewer"
            problems[f"row {number}"] = (
                f"{more_or_fewer} values ({len(values)}) than columns ({len(header)}): check for an unquoted comma."
            )
            continue
        row = _read_as(dict(zip(header, values, strict=True)), checked.read_as)
        patient_check = validation.check_patient({**row, "clinic_id": row.get("patient_id")}, today)
        texts = list(patient_check.problems.values())
        clinic_id = (row.get("patient_id") or "").strip()
        key = clinic_id.lower()
        if key in taken:
            texts.append(f"A patient with clinic ID {taken[key]} already exists in this clinic (IDs ignore case).")
        if clinic_id and key in seen:
            texts.append(f"Clinic ID {clinic_id} is also on row {seen[key]} (IDs ignore case).")
        seen.setdefault(key, number)
        episode = None
        if any((row.get(c) or "").strip() for c in EPISODE_COLUMNS):
            username = (row.get("clinician") or "").strip().lower()
            raw = {
                "side": row.get("side"),
                "region": row.get("region"),
                "onset_date": row.get("onset_date"),
                "severity": row.get("severity") or "moderate",
                "onset_type": row.get("onset_type") or "gradual",
                "clinician_id": clinicians.get(username),
            }
            episode_check = validation.check_episode(
                raw, date_of_birth=patient_check.clean.get("date_of_birth"), today=today
            )
            for name, text in episode_check.problems.items():
                if name == "clinician_id":
                    text = (
                        f"Clinician '{row.get('clinician')}' is not an active clinician's username."
                        if username
                        else "An episode needs the clinician's username."
                    )
                texts.append(text)
            episode = episode_check.clean
        if texts:
            problems[f"row {number}"] = " ".join(texts)
        else:
            checked.rows.append((patient_check.clean, episode))
    if problems:
        raise FieldProblems(problems)
    return checked


def import_patients_csv(db: Database, actor: User, data: bytes, *, today: date | None = None) -> dict[str, Any]:
    """Check the whole file, then load it in bulk: all of it, or nothing. Returns what was imported and the
    words read as the app's own (``read_as``, one sentence each)."""
    require(actor, Permission.IMPORT)
    since = utc_now()  # a patient saved by someone else from now on was not seen by the checks
    with _sharing_the_interpreter():
        checked = check_file(db, data, today=today)
    at = utc_now()
    patients = pd.DataFrame([p for p, _ in checked.rows], columns=list(sql.PATIENT_COLUMNS))
    episodes = pd.DataFrame([e for _, e in checked.rows if e])
    read_as = [
        f"{column} '{written}' as {code.replace('_', ' ')} ({n} row{'s' if n != 1 else ''})"
        for (column, written, code), n in sorted(checked.read_as.items())
    ]
    with db.bulk_transaction(before_commit=lambda now: _refuse_ids_taken_meanwhile(now, patients, since)) as cur:
        patients.insert(0, "patient_id", bulk.next_ids(cur, "patient_id_seq", len(patients)))
        bulk.append(cur, "patients", patients.assign(**sql.stamp(at, actor.username)))
        episode_ids: list[int] = []
        if len(episodes):
            owners = [i for i, (_, e) in zip(patients["patient_id"], checked.rows, strict=True) if e]
            episode_ids = bulk.next_ids(cur, "episode_id_seq", len(episodes))
            episodes = episodes.assign(episode_id=episode_ids, patient_id=owners, status="open")
            bulk.append(cur, "episodes", episodes.assign(**sql.stamp(at, actor.username)))
            for table, change in (
                ("tier_changes", {"tier": Tier.CONSERVATIVE.value, "reason": OPENING_TIER_REASON}),
                ("stage_changes", {"stage": 1, "reason": OPENING_STAGE_REASON}),
            ):
                opening = episodes[["episode_id", "opened_on", "clinician_id"]]
                bulk.append(
                    cur, table, opening.rename(columns={"opened_on": "effective_on"}).assign(recorded_at=at, **change)
                )
        case_state.refresh(cur, episode_ids)
        # One audit row for the import: who, when, the file's SHA-256 and the records it created (the values
        # themselves are in the records, with created_by and created_at; not copied 200,000 times).
        audit.append(
            cur,
            actor.username,
            "import",
            "patients",
            None,
            after={
                "rows": len(patients),
                "episodes": len(episodes),
                "sha256": hashlib.sha256(data).hexdigest(),
                "read_as": read_as,
                "patient_ids": _ranges(list(patients["patient_id"])),
                "episode_ids": _ranges(episode_ids),
            },
        )
    db.analyze()  # the planner's statistics, for tables that may just have grown many times over
    return {"patients": len(patients), "episodes": len(episodes), "read_as": read_as}


@contextmanager
def _sharing_the_interpreter():
    """While the file is checked (seconds of Python for a large file), let the server's other threads (other
    users' sign-ins and saves) take the interpreter back every half millisecond instead of every five: each
    of their database calls would otherwise wait up to 5 ms to carry on, and a sign-in makes dozens."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, 0.0005))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _ranges(ids: list[int]) -> str:
    """1, 2, 3, 7, 8 -> '1-3, 7-8' (ids from a sequence are mostly consecutive)."""
    spans: list[list[int]] = []
    for i in sorted(int(x) for x in ids):
        if spans and i == spans[-1][1] + 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def _refuse_ids_taken_meanwhile(cur, patients: pd.DataFrame, since) -> None:
    """Under the lock, just before the import commits: a clinic ID someone saved since the checks began (the
    checks, and the import's own snapshot, could not see it) refuses the whole import."""
    saved = sql.clinic_ids_saved_since(cur, since)
    clash = {c.lower(): c for c in saved} if saved else {}
    if clash:
        shown = ", ".join(
            f"{c} (as {clash[c.lower()]})" if clash[c.lower()] != c else c
            for c in patients["clinic_id"]
            if c.lower() in clash
        )
        if shown:
            raise FieldProblems(
                {
                    "file": f"Clinic ID(s) {shown} were saved by someone else while the file was loading; "
                    "nothing imported."
                }
            )
