"""Handouts: the PDF read back, escaping and scripts, page sizes, large print, the issue record, the CLI."""

import hashlib
import shutil
import subprocess
import sys
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from dashboard.domain.exercises import defaults_for
from dashboard.handout_pdf import HandoutData, HandoutExercise, HandoutOptions, build_handouts
from dashboard.services import care, handouts
from dashboard.storage.db import Database
from tests.apptest import as_user, button, goto, start, texts
from tests.serverproc import ROOT

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists(),
    reason="DejaVu fonts not installed (fonts-dejavu-core); scripts/install-system-deps.sh installs them",
)


def data(**over):
    values = dict(
        clinic_name="Riverside Physio",
        patient_name="Zoë O'Brien",
        side="left",
        region="proximal",
        severity="moderate",
        tier="conservative",
        stage=2,
        exercises=[HandoutExercise(**e) for e in defaults_for(2)],
        clinician_name="Amara Okafor",
        issued_on=date(2026, 11, 25),
        next_review_on=date(2026, 12, 9),
        clinic_phone="+44 20 7946 0000",
    )
    values.update(over)
    return HandoutData(**values)


def text_of(pdf: bytes) -> str:
    """The PDF's text with line wrapping undone."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).split())


def test_personalised_content_is_in_the_pdf():
    built = build_handouts([data()])
    text = text_of(built.data)
    for expected in (
        "Zoë O'Brien",
        "left",
        "Stage 2",
        "One-leg bridge from a low step",
        "3 sets, 12 times",
        "09 December 2026",
        "Amara Okafor",
        "Riverside Physio",
        "3 to 4 months",
        "Green",
        "next morning",
        "cushion",
        "Call the clinic straight away",
        "Pins and needles",
        "Can I keep running?",
    ):
        assert expected in text, expected
    meta = PdfReader(BytesIO(built.data)).metadata
    assert meta.title == "Hamstring plan for Zoë O'Brien" and "Amara Okafor" in meta.author and meta.subject
    assert b"/Lang (en-GB)" in built.data


@pytest.mark.parametrize(
    "name",
    [
        "<b>Bold</b> & Co",
        'Ann "Annie" O\'Neil',
        "Ελένη Παπαδοπούλου",
        "Ольга Смирнова",
        "Siobhán Ó Súilleabháin",
        "Łukasz Żółć",
        "<script>x</script>",
    ],
)
def test_any_name_prints_as_written(name):
    built = build_handouts([data(patient_name=name)])
    text = text_of(built.data)
    # a long part of a name may break between syllables at the end of a line (a hyphen is added there)
    assert name in text or name in text.replace("- ", "") and built.warnings == []


def test_a_script_the_font_lacks_never_crashes_and_is_flagged():
    built = build_handouts([data(patient_name="王小明 Wang")])
    assert built.warnings and "U+738B" in built.warnings[0]
    text = text_of(built.data)
    assert "??? Wang" in text and "could not be printed" in text


def test_page_sizes_and_large_print():
    a4 = PdfReader(BytesIO(build_handouts([data()]).data)).pages[0].mediabox
    letter = PdfReader(BytesIO(build_handouts([data()], HandoutOptions(page_size="Letter")).data)).pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    sizes = []
    reader = PdfReader(BytesIO(build_handouts([data()], HandoutOptions(large_print=True)).data))
    reader.pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: sizes.append(size * tm[0]) if text.strip() else None
    )
    assert sizes and min(sizes) >= 16  # nothing smaller than 16 pt in large print


def test_a_past_review_date_is_not_printed_as_next_review():
    text = text_of(build_handouts([data(next_review_on=date(2026, 1, 5))]).data)
    assert "to be booked with the clinic" in text and "05 January 2026" not in text


def test_same_inputs_same_bytes():
    assert build_handouts([data()]).data == build_handouts([data()]).data
    assert build_handouts([data()]).data != build_handouts([data(stage=3)]).data


def test_treatment_section_when_adjunct():
    text = text_of(build_handouts([data(tier="adjunct", treatments=["shockwave"])]).data)
    assert "Shockwave: a hand-held device" in text
    assert "Shockwave" not in text_of(build_handouts([data()]).data)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_pages_render_to_images(tmp_path):
    pdf = tmp_path / "h.pdf"
    pdf.write_bytes(build_handouts([data(clinic_url="https://clinic.example/hamstring")]).data)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 5000 for p in pages)


def test_issue_records_and_archives_exact_bytes(demo_db, tmp_path):
    me = as_user(demo_db, "amara.okafor")
    episode_id = handouts.open_episodes(demo_db, me)[0]
    care.save_prescription(
        demo_db,
        me,
        episode_id,
        [{"exercise": "Bridge hold on a chair", "sets": 4, "hold_seconds": 40, "days_per_week": 5, "load_cue": "Easy"}],
    )
    issued = handouts.issue(demo_db, me, episode_id, reports_dir=tmp_path)
    assert "Bridge hold on a chair" in text_of(issued.data) and "4 sets, hold 40 seconds" in text_of(issued.data)
    row = demo_db.row("SELECT * FROM handouts_issued WHERE handout_id = ?", [issued.handout_id])
    archived = Path(row["archive_path"]).read_bytes()
    assert hashlib.sha256(archived).hexdigest() == row["sha256"] == issued.sha256
    assert row["issued_by"] == "amara.okafor" and row["content_version"]
    assert str(tmp_path / date.today().isoformat()) in row["archive_path"]
    again = handouts.issue(demo_db, me, episode_id, reports_dir=tmp_path)
    assert again.sha256 == issued.sha256  # a reprint is verifiable
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'handout'") == 2
    with pytest.raises(handouts.NotFound):
        handouts.issue(demo_db, me, 999999, reports_dir=tmp_path)


def test_read_only_cannot_issue(demo_db, tmp_path):
    from dashboard.services.auth import NotAllowed

    with pytest.raises(NotAllowed):
        handouts.issue(demo_db, as_user(demo_db, "reception"), 1, reports_dir=tmp_path)


def test_cli_single_all_open_and_unknown(demo_path, tmp_path):
    env = {**__import__("os").environ, "CLINIC_REPORTS_DIR": str(tmp_path / "reports")}

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "dashboard", "handouts", "--db", str(demo_path), *a],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env=env,
        )

    db = Database(demo_path)
    episode_id = db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    open_count = db.scalar("SELECT count(*) FROM episodes WHERE status = 'open'")
    db.close()
    single = run("--episode", str(episode_id), "--out", str(tmp_path / "one.pdf"))
    assert single.returncode == 0, single.stderr
    assert "Your hamstring plan" in text_of((tmp_path / "one.pdf").read_bytes())
    unknown = run("--episode", "999999", "--out", str(tmp_path / "x.pdf"))
    assert unknown.returncode == 2 and "no episode 999999" in unknown.stderr and "Traceback" not in unknown.stderr
    batch = run("--all-open", "--out-dir", str(tmp_path / "all"), "--large-print")
    assert batch.returncode == 0, batch.stderr
    assert f"{open_count}/{open_count} handouts" in batch.stderr
    assert len(list((tmp_path / "all").glob("*.pdf"))) == open_count
    db = Database(demo_path)
    rows = db.rows("SELECT sha256, archive_path FROM handouts_issued")
    db.close()
    assert len(rows) == open_count + 1
    for row in rows:
        assert hashlib.sha256(Path(row["archive_path"]).read_bytes()).hexdigest() == row["sha256"]


def test_handouts_page_issues_and_batch(monkeypatch, demo_path, tmp_path):
    monkeypatch.setenv("CLINIC_REPORTS_DIR", str(tmp_path))
    import dashboard.config as cfg

    monkeypatch.setattr(cfg, "REPORTS_DIR", tmp_path)
    db = Database(demo_path)
    episode_id = db.scalar("SELECT min(episode_id) FROM episodes WHERE status = 'open'")
    at = start(monkeypatch, demo_path, as_user(db, "amara.okafor"), episode_id=episode_id)
    goto(at, "case")
    button(at, "Print handout").click()
    at.run()
    assert "Handouts" in [t.value for t in at.title]
    goto(at, "handouts")  # AppTest re-runs the page it last switched to itself; stay on Handouts
    button(at, "Issue handout").click()
    at.run()
    assert not at.exception and "Issued and recorded" in texts(at)
    assert db.scalar("SELECT count(*) FROM handouts_issued WHERE episode_id = ?", [episode_id]) == 1
    # a clinic day's batch, chosen by date and by name (never by episode number)
    day, seen = db.rows(
        "SELECT a.assessed_on AS day, count(DISTINCT a.episode_id) AS n FROM assessments a"
        " JOIN episodes e USING (episode_id) WHERE e.status = 'open' GROUP BY 1 HAVING n >= 2 ORDER BY n DESC, 1"
        " LIMIT 1"
    )[0].values()
    at.date_input(key="handout_day").set_value(day)
    at.run()
    chosen = at.multiselect(key=f"handout_batch_{day}")
    assert len(chosen.value) == seen
    assert all(" · " in chosen.format_func(i) and "opened" in chosen.format_func(i) for i in chosen.value)
    other = db.row(
        "SELECT p.clinic_id, e.episode_id FROM episodes e JOIN patients p USING (patient_id) WHERE e.status = 'open'"
        " AND NOT " + db.dialect.member("e.episode_id") + " ORDER BY e.episode_id LIMIT 1",
        [list(chosen.value)],
    )
    at.text_input(key="batch_query").input(other["clinic_id"])
    at.run()
    at.selectbox(key="batch_pick").set_value(other["episode_id"])
    at.run()
    button(at, "Add to the list").click()
    at.run()
    assert other["episode_id"] in at.multiselect(key=f"handout_batch_{day}").value
    button(at, f"Print {seen + 1} handout(s)").click()
    at.run()
    assert f"{seen + 1} handouts issued and recorded" in texts(at)
    assert db.scalar("SELECT count(*) FROM handouts_issued") == seen + 2
    db.close()


def test_clinic_details_reach_the_handout(demo_db, tmp_path):
    from dashboard.domain.model import FieldProblems
    from dashboard.services import admin

    boss = as_user(demo_db, "admin")
    with pytest.raises(FieldProblems) as refused:
        admin.set_clinic_details(demo_db, boss, {"clinic_name": "Eastside Physio", "clinic_url": "http://insecure"})
    assert "https://" in refused.value.problems["clinic_url"]
    admin.set_clinic_details(
        demo_db,
        boss,
        {
            "clinic_name": "Eastside Physio",
            "clinic_phone": "+44 20 7946 0999",
            "clinic_url": "https://eastside.example/hamstring",
        },
    )
    episode_id = handouts.open_episodes(demo_db, boss)[0]
    text = text_of(handouts.build_for_episode(demo_db, boss, episode_id).data)
    assert "Eastside Physio" in text and "+44 20 7946 0999" in text and "https://eastside.example/hamstring" in text
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'clinic_setting'") == 3
