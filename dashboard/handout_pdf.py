"""Patient handouts: a pure function from a handout's data to PDF bytes (ReportLab). No Streamlit, no SQL.

Every piece of user text is escaped before it reaches a Paragraph; DejaVu fonts cover Latin with
diacritics, Greek and Cyrillic; a character the font lacks is printed as '?' with a visible note (never a
crash). The same data give the same bytes (invariant output), so a reprint can be verified.
Wording is the project's own, aimed at a reading age of about 12 (CLINICAL.md §5).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .domain.exercises import STAGE_NAMES
from .domain.model import RECOVERY_WORDS, Severity

# Handouts load nothing from anywhere: no URL scheme or host is trusted.
rl_config.trustedSchemes = []
rl_config.trustedHosts = None

CONTENT_VERSION = "2026.11-1"
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
            return {"regular": "HandoutSans", "bold": "HandoutSans-Bold"}
    raise FontMissing(
        "The DejaVu fonts are not installed (Debian package fonts-dejavu-core): "
        "run scripts/install-system-deps.sh as root."
    )


@dataclass
class Exercise:
    exercise: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    load_cue: str | None
    days_per_week: int


@dataclass
class HandoutData:
    clinic_name: str
    patient_name: str
    side: str  # left | right | bilateral
    region: str  # proximal | distal_medial | distal_lateral
    severity: str
    tier: str
    stage: int
    exercises: list[Exercise]
    clinician_name: str
    issued_on: date
    next_review_on: date | None
    treatments: list[str] = field(default_factory=list)  # kinds planned or given in the current tier
    pain_green_max: float = 3
    pain_amber_max: float = 5
    clinic_phone: str | None = None
    clinic_url: str | None = None


@dataclass
class HandoutOptions:
    page_size: str = "A4"  # A4 | Letter
    large_print: bool = False


@dataclass
class BuiltPdf:
    data: bytes
    warnings: list[str]
    pages: int


# -- plain-language content ------------------------------------------------------------------------------

WHERE = {
    "proximal": "where the hamstring tendons attach to your sit bone, at the bottom of your buttock",
    "distal_medial": "where the hamstring tendons attach on the inner side of the back of your knee",
    "distal_lateral": "where the hamstring tendon attaches on the outer side of the back of your knee",
}
SIDE = {"left": "left", "right": "right", "bilateral": "left and right"}
TREATMENT_WORDS = {
    "shockwave": "Shockwave therapy: a hand-held device sends pressure waves into the sore area. It is "
    "usually once a week for about four weeks. It can be uncomfortable for a few minutes. Keep "
    "doing your exercises: shockwave helps them, it does not replace them.",
    "dry_needling": "Dry needling: very fine needles placed in tight muscle to ease pain. You may feel sore "
    "for a day afterwards.",
    "soft_tissue": "Hands-on soft-tissue work to ease tight, tender muscle around the tendon.",
    "injection": "An injection near the tendon, guided by ultrasound. Rest the leg from hard exercise for the "
    "time your clinician tells you, then build back up slowly. Your exercises are still the main "
    "treatment.",
}
TIER_WORDS = {
    "adjunct": "Alongside your exercises we are adding a treatment to help them work.",
    "regenerative": "Alongside your exercises we are planning an injection-based treatment.",
}
RED_FLAG_WORDS = (
    "a sudden pop at the back of your thigh, with heavy bruising or a dip you can feel",
    "pins and needles, numbness or weakness in your leg or foot",
    "pain at rest, or pain that wakes you at night and keeps getting worse",
    "fever, feeling very unwell, or losing weight without trying",
    "sudden sharp bone pain after a fall or a very hard effort",
)


def _timeframe(data: HandoutData) -> str:
    words = RECOVERY_WORDS[Severity(data.severity)]
    if data.severity == "chronic":
        return (
            f"Your problem has been there for a while, so it usually takes {words}. That is normal: "
            "tendons change slowly, and steady work pays off."
        )
    return f"Most people with a {data.severity} problem like yours get better in about {words}."


def _dose(e: Exercise) -> str:
    amount = f"{e.reps} times" if e.reps else f"hold {e.hold_seconds} seconds"
    if e.hold_seconds and e.hold_seconds >= 300:
        amount = f"{e.hold_seconds // 60} minutes"
    sets = "once" if e.sets == 1 else f"{e.sets} sets"
    return f"{sets}, {amount}, {e.days_per_week} days a week"


# -- simple exercise pictures (ReportLab graphics) --------------------------------------------------------


def _figure(kind: str, scale: float) -> Drawing:
    w, h = 70 * scale, 42 * scale
    d = Drawing(w, h)
    d.add(Rect(0, 0, w, h, fillColor=colors.HexColor("#f2f6f8"), strokeColor=None))
    ink = dict(strokeColor=colors.HexColor("#1f4e63"), strokeWidth=2.2 * scale)
    s = scale
    floor = 6 * s
    d.add(Line(3 * s, floor, w - 3 * s, floor, strokeColor=colors.HexColor("#9fb3bd"), strokeWidth=1))
    if kind == "bridge":
        d.add(Circle(10 * s, floor + 4 * s, 3.5 * s, fillColor=colors.HexColor("#1f4e63"), strokeColor=None))
        d.add(
            PolyLine(
                [
                    14 * s,
                    floor + 4 * s,
                    34 * s,
                    floor + 16 * s,
                    48 * s,
                    floor + 20 * s,
                    56 * s,
                    floor + 8 * s,
                    58 * s,
                    floor,
                ],
                **ink,
            )
        )
    elif kind == "hinge":
        d.add(Circle(22 * s, floor + 27 * s, 3.5 * s, fillColor=colors.HexColor("#1f4e63"), strokeColor=None))
        d.add(PolyLine([25 * s, floor + 25 * s, 42 * s, floor + 22 * s, 42 * s, floor], **ink))
        d.add(Line(30 * s, floor + 24 * s, 30 * s, floor + 8 * s, **ink))
        d.add(Line(24 * s, floor + 8 * s, 36 * s, floor + 8 * s, **ink))
    elif kind == "lunge":
        d.add(Circle(35 * s, floor + 33 * s, 3.5 * s, fillColor=colors.HexColor("#1f4e63"), strokeColor=None))
        d.add(Line(35 * s, floor + 29 * s, 35 * s, floor + 16 * s, **ink))
        d.add(PolyLine([35 * s, floor + 16 * s, 48 * s, floor + 14 * s, 48 * s, floor], **ink))
        d.add(PolyLine([35 * s, floor + 16 * s, 26 * s, floor + 4 * s, 18 * s, floor + 1 * s], **ink))
    elif kind == "run":
        d.add(Circle(38 * s, floor + 33 * s, 3.5 * s, fillColor=colors.HexColor("#1f4e63"), strokeColor=None))
        d.add(Line(37 * s, floor + 29 * s, 34 * s, floor + 16 * s, **ink))
        d.add(PolyLine([34 * s, floor + 16 * s, 46 * s, floor + 10 * s, 44 * s, floor + 1 * s], **ink))
        d.add(PolyLine([34 * s, floor + 16 * s, 26 * s, floor + 8 * s, 18 * s, floor + 12 * s], **ink))
        d.add(PolyLine([36 * s, floor + 25 * s, 45 * s, floor + 21 * s], **ink))
    else:  # lying hold (prone / side)
        d.add(Circle(10 * s, floor + 6 * s, 3.5 * s, fillColor=colors.HexColor("#1f4e63"), strokeColor=None))
        d.add(Line(14 * s, floor + 6 * s, 56 * s, floor + 6 * s, **ink))
        d.add(Line(56 * s, floor + 6 * s, 62 * s, floor + 16 * s, **ink))
    return d


def _picture_kind(name: str) -> str:
    n = name.lower()
    if "bridge" in n:
        return "bridge"
    if "deadlift" in n or "nordic" in n or "curl" in n:
        return "hinge"
    if "lunge" in n or "step" in n:
        return "lunge"
    if "run" in n or "skip" in n or "bound" in n:
        return "run"
    return "lying"


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
    body = 16 if large else 10.5
    lead = body * 1.35
    base = dict(
        fontName=fonts["regular"], fontSize=body, leading=lead, alignment=TA_LEFT, textColor=colors.HexColor("#1b1b1b")
    )
    return {
        "body": ParagraphStyle("body", spaceAfter=body * 0.45, **base),
        "small": ParagraphStyle(
            "small", **{**base, "fontSize": body * 0.82, "leading": body * 1.1, "textColor": colors.HexColor("#555555")}
        ),
        "title": ParagraphStyle(
            "title",
            **{
                **base,
                "fontName": fonts["bold"],
                "fontSize": body * 2.0,
                "leading": body * 2.4,
                "textColor": colors.HexColor("#1f4e63"),
            },
        ),
        "h2": ParagraphStyle(
            "h2",
            spaceBefore=body * 0.9,
            spaceAfter=body * 0.35,
            **{
                **base,
                "fontName": fonts["bold"],
                "fontSize": body * 1.3,
                "leading": body * 1.6,
                "textColor": colors.HexColor("#1f4e63"),
            },
        ),
        "cell": ParagraphStyle("cell", **{**base, "leading": body * 1.25}),
        "cellbold": ParagraphStyle("cellbold", **{**base, "fontName": fonts["bold"], "leading": body * 1.25}),
        "urgent": ParagraphStyle(
            "urgent", **{**base, "fontName": fonts["bold"], "textColor": colors.HexColor("#9b1c1c")}
        ),
    }


def _story(data: HandoutData, options: HandoutOptions, fonts: dict[str, str], width: float) -> tuple[list, list[str]]:
    p = _Printer(fonts["regular"])
    s = _styles(fonts, options.large_print)
    scale = 1.45 if options.large_print else 1.0
    story: list = []
    side = SIDE.get(data.side, data.side)
    story.append(Paragraph(p.text(data.clinic_name), s["small"]))
    story.append(Paragraph(f"Your hamstring plan, {p.text(data.patient_name)}", s["title"]))
    upcoming = data.next_review_on is not None and data.next_review_on >= data.issued_on
    review = f"{data.next_review_on:%d %B %Y}" if upcoming else "to be booked with the clinic"
    story.append(
        Paragraph(
            f"Given on {data.issued_on:%d %B %Y} by {p.text(data.clinician_name)}. Next review: <b>{review}</b>.",
            s["body"],
        )
    )

    story.append(Paragraph("What is going on", s["h2"]))
    story.append(
        Paragraph(
            f"You have a sore, irritated hamstring tendon on your <b>{side}</b> side, {WHERE.get(data.region, '')}. "
            "A tendon is the tough cord that joins muscle to bone. When it is loaded more than it is ready for, it "
            "gets sore. The good news: tendons get stronger when you load them the right amount, and that is "
            "what your exercises do.",
            s["body"],
        )
    )
    story.append(
        Paragraph(
            "<b>Hurt does not mean harm.</b> Some discomfort during your exercises is fine and expected, as long as "
            "it stays in the green or amber zone below and settles by the next morning.",
            s["body"],
        )
    )
    story.append(Paragraph("How long it takes", s["h2"]))
    story.append(Paragraph(_timeframe(data), s["body"]))
    if data.tier in TIER_WORDS:
        story.append(Paragraph("Your treatment now", s["h2"]))
        story.append(Paragraph(TIER_WORDS[data.tier], s["body"]))
        for kind in data.treatments or (["shockwave"] if data.tier == "adjunct" else ["injection"]):
            if kind in TREATMENT_WORDS:
                story.append(Paragraph(TREATMENT_WORDS[kind], s["body"]))

    story.append(Paragraph(f"Your exercises: {p.text(STAGE_NAMES.get(data.stage, f'stage {data.stage}'))}", s["h2"]))
    rows = [
        [
            Paragraph("", s["cell"]),
            Paragraph("Exercise", s["cellbold"]),
            Paragraph("How much", s["cellbold"]),
            Paragraph("How hard", s["cellbold"]),
        ]
    ]
    for e in data.exercises:
        rows.append(
            [
                _figure(_picture_kind(e.exercise), scale),
                Paragraph(p.text(e.exercise), s["cell"]),
                Paragraph(p.text(_dose(e)), s["cell"]),
                Paragraph(p.text(e.load_cue or ""), s["cell"]),
            ]
        )
    pic = 74 * scale
    table = Table(rows, colWidths=[pic, (width - pic) * 0.34, (width - pic) * 0.30, (width - pic) * 0.36], repeatRows=1)
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
    story.append(table)
    story.append(
        Paragraph(
            "Move on to harder exercises only when your clinician says so: we go by how your "
            "tendon feels, not by the calendar.",
            s["small"],
        )
    )

    story.append(Paragraph("How much pain is OK", s["h2"]))
    g, a = data.pain_green_max, data.pain_amber_max
    light = Table(
        [
            [
                Paragraph("<b>Green</b>", s["cell"]),
                Paragraph(f"Pain 0 to {g:g} out of 10 during or after exercise. Carry on.", s["cell"]),
            ],
            [
                Paragraph("<b>Amber</b>", s["cell"]),
                Paragraph(
                    f"Pain {g + 1:g} to {a:g} out of 10. OK if it has settled by the next "
                    "morning. If not, do a bit less next time.",
                    s["cell"],
                ),
            ],
            [
                Paragraph("<b>Red</b>", s["cell"]),
                Paragraph(
                    f"Pain above {a:g} out of 10. Stop that exercise for today and do "
                    "less next time. Tell us at your next visit.",
                    s["cell"],
                ),
            ],
        ],
        colWidths=[width * 0.18, width * 0.82],
    )
    light.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (0, 0), colors.HexColor("#c7e9c0")),
                ("BACKGROUND", (0, 1), (0, 1), colors.HexColor("#fdd0a2")),
                ("BACKGROUND", (0, 2), (0, 2), colors.HexColor("#fcbba1")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.white),
            ]
        )
    )
    story.append(light)
    story.append(Spacer(1, 4))
    story.append(
        Paragraph(
            "<b>The next-morning check:</b> when you get up the day after exercise, is the tendon "
            "back to how it usually is? If yes, keep going. If it is sorer than usual, make the next "
            "session easier.",
            s["body"],
        )
    )

    story.append(Paragraph("Day to day", s["h2"]))
    for line in (
        "Cut down what sets it off for now: long sitting, deep stretching of the hamstring, sprinting and steep hills.",
        "Keep fit in ways that do not hurt: swimming (easy on the kick), cycling with the seat a little higher, "
        "walking.",
        "Sitting: use a cushion or a folded towel, choose a higher seat, "
        "and stand up for a minute every 20 to 30 minutes.",
        "Ice for 15 to 20 minutes after activity can ease soreness (wrap it in a cloth).",
        "Anti-inflammatory tablets can help for a few days, but taking them for a long time may slow tendon healing. "
        "Ask your doctor or pharmacist first.",
    ):
        story.append(Paragraph("• " + line, s["body"]))

    urgent = [Paragraph("Contact the clinic straight away if you notice:", s["urgent"])]
    urgent += [Paragraph("• " + line, s["body"]) for line in RED_FLAG_WORDS]
    if data.clinic_phone:
        urgent.append(
            Paragraph(
                f"Phone: {p.text(data.clinic_phone)}. If the clinic is closed, call your doctor or urgent care.",
                s["body"],
            )
        )
    else:
        urgent.append(Paragraph("If the clinic is closed, call your doctor or urgent care.", s["body"]))
    box = Table([[u] for u in urgent], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor("#9b1c1c")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdf0f0")),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story.append(Spacer(1, 6))
    story.append(KeepTogether(box))

    story.append(Paragraph("Once you are better", s["h2"]))
    for line in (
        "Warm up before sport: easy jogging, then build up speed.",
        "Add training slowly: do not jump up in distance, speed or hills all at once.",
        "Keep up strength work for your hamstrings and buttocks once or twice a week.",
        "Run tall with relaxed, not over-long, strides.",
    ):
        story.append(Paragraph("• " + line, s["body"]))

    if data.clinic_url:
        qr = QrCodeWidget(data.clinic_url)
        x1, y1, x2, y2 = qr.getBounds()
        size = 28 * mm * scale
        drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
        drawing.add(qr)
        story.append(Spacer(1, 6))
        story.append(
            Table(
                [[drawing, Paragraph(f"More information from the clinic: {p.text(data.clinic_url)}", s["small"])]],
                colWidths=[size + 8, width - size - 8],
            )
        )
    warnings = []
    if p.missing:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(p.missing))[:120]
        warnings.append(f"Some characters could not be printed with the handout font and show as '?' ({shown}).")
        story.insert(3, Paragraph(escape("Note: " + warnings[0]), s["urgent"]))
    return story, warnings


def build_handouts(handouts: list[HandoutData], options: HandoutOptions | None = None) -> BuiltPdf:
    """One PDF holding each handout, each starting on a new page. Pure: same input, same bytes."""
    options = options or HandoutOptions()
    fonts = _register_fonts()
    page = LETTER if options.page_size.lower() in ("letter", "us letter") else A4
    buffer = io.BytesIO()
    margin = 16 * mm
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
        author=f"{first.clinician_name}, {first.clinic_name}",
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
        canvas.setFont(fonts["regular"], 13 if options.large_print else 8)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.drawString(margin, 9 * mm, f"Handout content version {CONTENT_VERSION}")
        canvas.drawRightString(page[0] - margin, 9 * mm, f"Page {doc_.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return BuiltPdf(data=buffer.getvalue(), warnings=warnings, pages=doc.page)
