"""Patient import for clinics moving from another system (UTF-8 CSV with a header).

Required columns: patient_id (the clinic's identifier), given_name, family_name, date_of_birth.
Optional: sex, phone, email; and side, region, onset_date, clinician (a username) which open an
episode for the patient, with optional severity (default moderate) and onset_type (default gradual).
The whole file is checked first; one bad row and nothing is imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from typing import Any

from ..domain import validation
from ..domain.model import FieldProblems, User
from ..storage import audit
from ..storage import records as sql
from ..storage import users as user_sql
from ..storage.db import Database, utc_now
from .auth import Permission, require
from .records import insert_new_episode

REQUIRED = ("patient_id", "given_name", "family_name", "date_of_birth")
OPTIONAL = ("sex", "phone", "email", "side", "region", "onset_date", "clinician", "severity", "onset_type")
EPISODE_COLUMNS = ("side", "region", "onset_date", "clinician")
MAX_ROWS = 200_000


def _read_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FieldProblems(
            {"file": f"The file is not UTF-8 text (byte {exc.start}). Save it as 'CSV UTF-8' and try again."}
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FieldProblems(
            {
                "header": f"Missing required column(s): {', '.join(missing)}. "
                f"The first line must name the columns: {', '.join(REQUIRED)}."
            }
        )
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise FieldProblems({"header": f"Unknown column(s): {', '.join(unknown)}."})
    rows = list(reader)
    if not rows:
        raise FieldProblems({"file": "The file has a header but no patients."})
    if len(rows) > MAX_ROWS:
        raise FieldProblems({"file": f"The file has {len(rows)} rows; import at most {MAX_ROWS} at a time."})
    return header, rows


def check_file(db: Database, data: bytes, *, today: date | None = None) -> list[tuple[dict, dict | None]]:
    """Every row validated; raises FieldProblems keyed 'row N' (N as a spreadsheet shows it)."""
    today = today or date.today()
    _, rows = _read_rows(data)
    clinicians = {u["username"].lower(): u["user_id"] for u in user_sql.clinicians(db)}
    with db.cursor() as cur:
        taken = sql.existing_clinic_ids(cur, [r.get("patient_id", "").strip() for r in rows])
    problems: dict[str, str] = {}
    seen: dict[str, int] = {}
    clean: list[tuple[dict, dict | None]] = []
    for number, row in enumerate(rows, start=2):
        if None in row:
            problems[f"row {number}"] = "More values than columns (check for an unquoted comma)."
            continue
        patient_check = validation.check_patient({**row, "clinic_id": row.get("patient_id")}, today)
        texts = list(patient_check.problems.values())
        clinic_id = (row.get("patient_id") or "").strip()
        if clinic_id in taken:
            texts.append(f"A patient with clinic ID {clinic_id} already exists in this clinic.")
        if clinic_id and clinic_id in seen:
            texts.append(f"Clinic ID {clinic_id} is also on row {seen[clinic_id]}.")
        seen.setdefault(clinic_id, number)
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
            clean.append((patient_check.clean, episode))
    if problems:
        raise FieldProblems(problems)
    return clean


def import_patients_csv(db: Database, actor: User, data: bytes, *, today: date | None = None) -> dict[str, Any]:
    """Import the whole file in one transaction, or nothing."""
    require(actor, Permission.IMPORT)
    clean = check_file(db, data, today=today)
    at = utc_now()
    episodes = 0
    with db.transaction() as cur:
        for patient_values, episode_values in clean:
            if sql.patient_id_for_clinic_id(cur, patient_values["clinic_id"]) is not None:
                raise FieldProblems(
                    {
                        "file": f"Clinic ID {patient_values['clinic_id']} was added by someone else "
                        "while the file was checked; nothing imported."
                    }
                )
            patient_id = sql.insert_patient(cur, patient_values, at, actor.username)
            audit.append(cur, actor.username, "create", "patient", patient_id, after=patient_values)
            if episode_values:
                episode_values["patient_id"] = patient_id
                insert_new_episode(cur, actor, episode_values)
                episodes += 1
        audit.append(
            cur,
            actor.username,
            "import",
            "patients",
            None,
            after={"rows": len(clean), "episodes": episodes, "sha256": hashlib.sha256(data).hexdigest()},
        )
    return {"patients": len(clean), "episodes": episodes}
