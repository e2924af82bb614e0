"""Patient handouts: a pure function from a handout's data to PDF bytes (ReportLab). No Streamlit, no SQL.

Every piece of user text is escaped before it reaches a Paragraph; DejaVu fonts cover Latin with
diacritics, Greek and Cyrillic; a character the font lacks is printed as '?' with a visible note (never a
crash). The same data give the same bytes (invariant output), so a reprint can be verified.
Wording is the project's own, aimed at a reading age of about 12 (CLINICAL.md §5).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .domain.exercises import find
from .domain.handout_content import CONTENT_VERSION, Block, HandoutData, HandoutExercise, compose
from .handout_figures import figure

__all__ = ["CONTENT_VERSION", "BuiltPdf", "FontMissing", "HandoutData", "HandoutExercise", "HandoutOptions"]

# Handouts load nothing from anywhere: no URL scheme or host is trusted.
rl_config.trustedSchemes = []
rl_config.trustedHosts = None

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path(__file__).resolve().parent.parent / "data" / "fonts")


class FontMissing(RuntimeError):
    pass


def _register_fonts() -> dict[str, str]:
    """DejaVu Sans (regular and bold), registered once."""
    if "HandoutSans" in pdfmetrics.getRegisteredFontNames():
        return {"regular": "HandoutSans", "bold": "HandoutSans-Bold"}
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("HandoutSans", str(regular)))
            pdfmetrics.registerFont(TTFont("HandoutSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily(
                "HandoutSans",
                normal="HandoutSans",
                bold="HandoutSans-Bold",
                italic="HandoutSans",
                boldItalic="HandoutSans-Bold",
            )
            return {"regular": "HandoutSans", "bold": "HandoutSans-Bold"}
    raise FontMissing(
        "The DejaVu fonts are not installed (Debian package fonts-dejavu-core): "
        "run scripts/install-system-deps.sh as root."
    )


@dataclass
class HandoutOptions:
    page_size: str = "A4"  # A4 | Letter
    large_print: bool = False


@dataclass
class BuiltPdf:
    data: bytes
    warnings: list[str]
    pages: int


def _dose(e: HandoutExercise) -> str:
    amount = f"{e.reps} times" if e.reps else f"hold {e.hold_seconds} seconds"
    if e.hold_seconds and e.hold_seconds >= 300:
        amount = f"{e.hold_seconds // 60} minutes"
    sets = "once" if e.sets == 1 else f"{e.sets} sets"
    return f"{sets}, {amount}, {e.days_per_week} days a week"


# -- building --------------------------------------------------------------------------------------------


class _Printer:
    """Turns user text into safe Paragraph markup, noting characters the font cannot print."""

    def __init__(self, font_name: str):
        face = pdfmetrics.getFont(font_name).face
        self.covered = face.charToGlyph
        self.missing: set[str] = set()

    def text(self, value) -> str:
        value = "" if value is None else str(value)
        out = []
        for ch in value:
            if ch in "\n\r\t" or ord(ch) in self.covered:
                out.append(ch)
            else:
                self.missing.add(ch)
                out.append("?")
        return escape("".join(out), {'"': "&quot;", "'": "&#39;"})


def _styles(fonts: dict[str, str], large: bool) -> dict[str, ParagraphStyle]:
    """Body text 12 pt (16 pt large print), nothing smaller; headings stay with what follows; long words
    break between syllables (pyphen) rather than anywhere."""
    body = 16.0 if large else 12.0
    lead = body * 1.32
    base = dict(
        fontName=fonts["regular"],
        fontSize=body,
        leading=lead,
        alignment=TA_LEFT,
        textColor=colors.HexColor("#1b1b1b"),
        hyphenationLang="en_GB",
        embeddedHyphenation=1,
        splitLongWords=1,
    )
    heading = {**base, "fontName": fonts["bold"], "textColor": colors.HexColor("#1f4e63")}
    styles = {
        "body": ParagraphStyle("body", spaceAfter=body * 0.4, **base),
        "note": ParagraphStyle("note", spaceAfter=body * 0.4, **{**base, "textColor": colors.HexColor("#4a4a4a")}),
        "meta": ParagraphStyle("meta", **{**base, "textColor": colors.HexColor("#4a4a4a")}),
        "title": ParagraphStyle("title", keepWithNext=1, **{**heading, "fontSize": body * 1.8, "leading": body * 2.2}),
        "h2": ParagraphStyle(
            "h2",
            spaceBefore=body * 0.8,
            spaceAfter=body * 0.3,
            keepWithNext=1,
            **{**heading, "fontSize": body * 1.25, "leading": body * 1.55},
        ),
        "question": ParagraphStyle("question", keepWithNext=1, **{**base, "fontName": fonts["bold"]}),
        "cell": ParagraphStyle("cell", **{**base, "leading": body * 1.22}),
        "cellbold": ParagraphStyle("cellbold", **{**base, "fontName": fonts["bold"], "leading": body * 1.22}),
        "urgent": ParagraphStyle(
            "urgent", keepWithNext=1, **{**base, "fontName": fonts["bold"], "textColor": colors.HexColor("#9b1c1c")}
        ),
    }
    for style in styles.values():
        style.hyphenationMinWordLength = 12  # only long words break, between syllables
    return styles


def _exercise_table(data: HandoutData, p: _Printer, s: dict, width: float, scale: float) -> Table:
    rows = [
        [
            Paragraph("", s["cell"]),
            Paragraph("Exercise and how to do it", s["cellbold"]),
            Paragraph("How much", s["cellbold"]),
            Paragraph("How hard", s["cellbold"]),
        ]
    ]
    for e in data.exercises:
        entry = find(e.exercise)
        how = f"<br/>{p.text(entry.how)}" if entry else ""
        rows.append(
            [
                figure(entry.pose if entry else "plain", scale),
                Paragraph(f"<b>{p.text(e.exercise)}</b>{how}", s["cell"]),
                Paragraph(p.text(_dose(e)), s["cell"]),
                Paragraph(p.text(e.load_cue or ""), s["cell"]),
            ]
        )
    pic = 74 * scale
    rest = width - pic
    table = Table(rows, colWidths=[pic, rest * 0.5, rest * 0.25, rest * 0.25], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d6dc")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3edf2")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _pain_table(data: HandoutData, s: dict, width: float) -> Table:
    g, a = data.pain_green_max, data.pain_amber_max
    rows = [
        ("Green", f"Pain 0 to {g:g} out of 10 during or after exercise. Carry on.", "#c7e9c0"),
        (
            "Amber",
            f"Pain {g + 1:g} to {a:g} out of 10. Fine if it has settled by the next morning. If not, do a bit less "
            "next time.",
            "#fdd0a2",
        ),
        ("Red", f"Pain above {a:g} out of 10. Stop that exercise for today and do less next time.", "#fcbba1"),
    ]
    table = Table(
        [[Paragraph(f"<b>{name}</b>", s["cell"]), Paragraph(text, s["cell"])] for name, text, _ in rows],
        colWidths=[width * 0.18, width * 0.82],
    )
    table.setStyle(
        TableStyle(
            [("BACKGROUND", (0, n), (0, n), colors.HexColor(colour)) for n, (_, _, colour) in enumerate(rows)]
            + [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.white)]
        )
    )
    return table


def _urgent_box(block: Block, p: _Printer, s: dict, width: float) -> Table:
    lines = [Paragraph(p.text(block.text), s["urgent"])]
    lines += [Paragraph("• " + p.text(item), s["body"]) for item in block.items[:-1]]
    lines.append(Paragraph(p.text(block.items[-1]), s["urgent"]))  # the emergency department line
    box = Table([[line] for line in lines], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor("#9b1c1c")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdf0f0")),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return box


def _story(data: HandoutData, options: HandoutOptions, fonts: dict[str, str], width: float) -> tuple[list, list[str]]:
    p = _Printer(fonts["regular"])
    s = _styles(fonts, options.large_print)
    scale = 1.45 if options.large_print else 1.0
    story: list = []
    for block in compose(data):
        lead = f"<b>{p.text(block.lead)}</b>" if block.lead else ""
        if block.kind in ("title", "meta", "h2"):
            story.append(Paragraph(p.text(block.text), s[block.kind]))
        elif block.kind in ("p", "note"):
            story.append(Paragraph(lead + p.text(block.text), s["body" if block.kind == "p" else "note"]))
        elif block.kind == "qa":
            story.append(
                KeepTogether([Paragraph(p.text(block.lead), s["question"]), Paragraph(p.text(block.text), s["body"])])
            )
        elif block.kind == "bullets":
            story += [Paragraph("• " + p.text(item), s["body"]) for item in block.items]
        elif block.kind == "exercises" and data.exercises:
            story.append(_exercise_table(data, p, s, width, scale))
        elif block.kind == "exercises":
            story.append(Paragraph("Your clinician will give you exercises that fit your plan.", s["body"]))
        elif block.kind == "pain_light":
            story.append(_pain_table(data, s, width))
            story.append(Spacer(1, 4))
        elif block.kind == "urgent":
            story.append(Spacer(1, 6))
            story.append(KeepTogether(_urgent_box(block, p, s, width)))
    story += _clinic_contact(data, p, s, width, scale)
    warnings = []
    if p.missing:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(p.missing))[:120]
        warnings.append(f"Some characters could not be printed with the handout font and show as '?' ({shown}).")
        story.insert(3, Paragraph(escape("Note: " + warnings[0]), s["urgent"]))
    return story, warnings


def _clinic_contact(data: HandoutData, p: _Printer, s: dict, width: float, scale: float) -> list:
    """The clinic's name, phone and address (and the QR code of its web address, when set)."""
    parts = [f"<b>Your clinic: {p.text(data.clinic_name)}</b>"]
    if data.clinic_phone:
        parts.append(f"Phone: {p.text(data.clinic_phone)}")
    if data.clinic_address:
        parts.append(p.text(data.clinic_address).replace("\n", "<br/>"))
    contact = Paragraph("<br/>".join(parts), s["body"])
    if not data.clinic_url:
        return [Spacer(1, 8), contact]
    qr = QrCodeWidget(data.clinic_url)
    x1, y1, x2, y2 = qr.getBounds()
    size = 28 * mm * scale
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(qr)
    more = Paragraph(f"More from the clinic: {p.text(data.clinic_url)}", s["note"])
    return [Spacer(1, 8), Table([[drawing, [contact, more]]], colWidths=[size + 8, width - size - 8])]


def build_handouts(handouts: list[HandoutData], options: HandoutOptions | None = None) -> BuiltPdf:
    """One PDF holding each handout, each starting on a new page. Pure: same input, same bytes."""
    options = options or HandoutOptions()
    fonts = _register_fonts()
    page = LETTER if options.page_size.lower() in ("letter", "us letter") else A4
    buffer = io.BytesIO()
    margin = 15 * mm
    first = handouts[0]
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=f"Hamstring plan for {first.patient_name}"
        if len(handouts) == 1
        else f"Hamstring plans ({len(handouts)})",
        author=f"{first.issued_by or first.clinician_name}, {first.clinic_name}",
        subject="Hamstring tendinopathy: your exercises and advice",
        creator="Hamstring clinic dashboard",
        lang="en-GB",
        invariant=1,
    )
    story: list = []
    warnings: list[str] = []
    for n, handout in enumerate(handouts):
        if n:
            story.append(PageBreak())
        part, notes = _story(handout, options, fonts, doc.width)
        story += part
        warnings += notes

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(fonts["regular"], 16 if options.large_print else 12)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.drawString(margin, 9 * mm, f"Handout content version {CONTENT_VERSION}")
        canvas.drawRightString(page[0] - margin, 9 * mm, f"Page {doc_.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return BuiltPdf(data=buffer.getvalue(), warnings=warnings, pages=doc.page)
