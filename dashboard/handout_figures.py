"""One drawing per exercise: a person in the exercise's key position (ReportLab graphics; pure).

Each pose is drawn in a 70 x 42 box with the floor at y = 6: the head, the body's lines (polylines through
the joints) and the equipment (a step, a box, a bench, a chair, a band, a bar). The pose names are the
``pose`` of each exercise in domain/exercises.py; an exercise the clinician typed in gets the plain figure.
"""

from __future__ import annotations

from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect
from reportlab.lib import colors

INK = colors.HexColor("#1f4e63")
KIT = colors.HexColor("#8a6d3b")
BAND = colors.HexColor("#c0392b")
FLOOR = colors.HexColor("#9fb3bd")
BACKGROUND = colors.HexColor("#f2f6f8")

# name: head (x, y), body polylines, equipment: ("rect", x, y, w, h) | ("line", x1, y1, x2, y2) |
# ("band", x1, y1, x2, y2) | ("disc", x, y, r)
POSES: dict[str, dict[str, Any]] = {
    "bridge_hold": {  # on the back, hips lifted, both feet down
        "head": (9, 10),
        "body": [[13, 10, 31, 20, 43, 23, 50, 7], [14, 8, 26, 7]],
        "kit": [],
    },
    "bridge_step": {  # on the back, one heel on a low step, the other leg up
        "head": (9, 10),
        "body": [[13, 10, 29, 19, 42, 23, 51, 15], [29, 19, 37, 36], [14, 8, 24, 7]],
        "kit": [("rect", 47, 6, 14, 8)],
    },
    "prone_hold": {  # face down, knee bent to a right angle, heel pushing back into a band
        "head": (9, 11),
        "body": [[13, 10, 45, 9, 55, 9, 55, 24], [14, 9, 22, 7]],
        "kit": [("band", 56, 24, 64, 24), ("line", 64, 6, 64, 30)],
    },
    "clam": {  # on the side, knees bent, the top knee opened
        "head": (10, 14),
        "body": [[14, 12, 33, 11, 45, 13, 38, 7], [33, 11, 43, 22, 38, 9], [10, 10, 16, 7]],
        "kit": [("band", 41, 16, 44, 15)],
    },
    "curl_machine": {  # face down on a bench, knees bending against the pad
        "head": (10, 20),
        "body": [[14, 18, 42, 17, 52, 17, 59, 29], [16, 17, 20, 13]],
        "kit": [("rect", 8, 11, 46, 4), ("line", 12, 6, 12, 11), ("line", 50, 6, 50, 11), ("disc", 60, 30, 2.5)],
    },
    "nordic_assisted": {  # kneeling tall, leaning forward a little, a band behind the chest helping
        "head": (17, 36),
        "body": [[44, 8, 30, 8, 24, 21, 19, 32], [19, 30, 11, 25]],
        "kit": [("rect", 43, 6, 6, 5), ("band", 20, 30, 58, 34), ("line", 58, 6, 58, 38)],
    },
    "nordic": {  # kneeling, leaning far forward, hands ready to catch
        "head": (11, 24),
        "body": [[48, 8, 34, 8, 26, 16, 15, 21], [16, 20, 9, 10]],
        "kit": [("rect", 47, 6, 6, 5)],
    },
    "side_plank": {  # on one elbow, body in a straight line
        "head": (14, 20),
        "body": [[14, 7, 20, 7, 18, 16, 58, 7], [18, 16, 25, 22]],
        "kit": [],
    },
    "hinge": {  # standing, hips back, flat back, bar hanging from straight arms
        "head": (22, 34),
        "body": [[40, 6, 41, 17, 44, 26, 27, 32], [28, 31, 28, 19]],
        "kit": [("line", 22, 19, 34, 19), ("disc", 22, 19, 3.5), ("disc", 34, 19, 3.5)],
    },
    "hinge_one_leg": {  # standing on one leg, body level, the other leg reaching back
        "head": (19, 28),
        "body": [[40, 6, 40, 16, 40, 24, 24, 27], [40, 24, 62, 28], [25, 26, 25, 16]],
        "kit": [("rect", 22, 13, 6, 3)],
    },
    "lunge": {  # front knee bent, back knee near the floor
        "head": (35, 38),
        "body": [[35, 34, 35, 21], [35, 21, 47, 20, 48, 6], [35, 21, 27, 9, 19, 6], [35, 31, 40, 24]],
        "kit": [],
    },
    "step_up": {  # one foot on a knee-high box, standing up onto it
        "head": (36, 39),
        "body": [[36, 35, 36, 24], [36, 24, 45, 26, 47, 19], [36, 24, 33, 14, 29, 6], [36, 32, 41, 26]],
        "kit": [("rect", 41, 6, 16, 13)],
    },
    "skip": {  # one knee high, opposite arm forward
        "head": (35, 38),
        "body": [[35, 34, 35, 22, 35, 6], [35, 22, 44, 25, 42, 15], [35, 31, 42, 27], [35, 31, 28, 26]],
        "kit": [],
    },
    "bound": {  # in the air between two long springy steps
        "head": (41, 37),
        "body": [
            [39, 33, 34, 21],
            [34, 21, 46, 19, 53, 11],
            [34, 21, 24, 15, 16, 18],
            [38, 30, 47, 33],
            [38, 30, 30, 26],
        ],
        "kit": [],
    },
    "run": {  # running stride
        "head": (38, 38),
        "body": [[37, 34, 34, 21], [34, 21, 46, 15, 44, 6], [34, 21, 26, 13, 18, 17], [36, 30, 45, 26]],
        "kit": [],
    },
    "seated_hold": {  # sitting, heel pulling back into the chair leg
        "head": (30, 39),
        "body": [[30, 35, 30, 21, 43, 21, 38, 9], [30, 31, 37, 25]],
        "kit": [("rect", 22, 18, 18, 3), ("line", 38, 6, 38, 18), ("line", 23, 6, 23, 18), ("line", 22, 21, 22, 36)],
    },
    "heel_dig": {  # on the back, knee a little bent, heel pressing into the floor
        "head": (9, 10),
        "body": [[13, 10, 36, 8, 48, 14, 58, 7], [14, 8, 24, 7]],
        "kit": [("line", 58, 15, 58, 10), ("line", 56, 12, 58, 10), ("line", 60, 12, 58, 10)],
    },
    "standing_curl": {  # standing at a chair back, one heel lifted behind
        "head": (33, 39),
        "body": [[33, 35, 33, 24, 33, 6], [33, 24, 34, 14, 25, 19], [33, 31, 46, 29]],
        "kit": [("line", 48, 6, 48, 31), ("line", 46, 31, 50, 31), ("rect", 23, 18, 4, 3)],
    },
    "slider_curl": {  # on the back, hips up, heels on sliders pulled in
        "head": (9, 10),
        "body": [[13, 10, 30, 18, 41, 22, 47, 8], [14, 8, 24, 7]],
        "kit": [("rect", 44, 6, 7, 2)],
    },
    "plain": {  # an exercise the clinician typed in: a person standing
        "head": (35, 37),
        "body": [[35, 33, 35, 20], [35, 20, 31, 6], [35, 20, 39, 6], [35, 30, 29, 22], [35, 30, 41, 22]],
        "kit": [],
    },
}


def figure(pose: str, scale: float) -> Drawing:
    """The drawing of ``pose`` at ``scale`` (1.0: 70 x 42 points)."""
    spec = POSES.get(pose, POSES["plain"])
    s = scale
    d = Drawing(70 * s, 42 * s)
    d.add(Rect(0, 0, 70 * s, 42 * s, fillColor=BACKGROUND, strokeColor=None))
    d.add(Line(3 * s, 6 * s, 67 * s, 6 * s, strokeColor=FLOOR, strokeWidth=1))
    for item in spec["kit"]:
        shape, *v = item
        if shape == "rect":
            d.add(Rect(v[0] * s, v[1] * s, v[2] * s, v[3] * s, fillColor=colors.HexColor("#e7dcc6"), strokeColor=KIT))
        elif shape == "disc":
            d.add(Circle(v[0] * s, v[1] * s, v[2] * s, fillColor=KIT, strokeColor=None))
        else:
            d.add(
                Line(
                    v[0] * s,
                    v[1] * s,
                    v[2] * s,
                    v[3] * s,
                    strokeColor=BAND if shape == "band" else KIT,
                    strokeWidth=(1.6 if shape == "band" else 1.4) * s,
                )
            )
    for points in spec["body"]:
        d.add(
            PolyLine([p * s for p in points], strokeColor=INK, strokeWidth=2.4 * s, strokeLineCap=1, strokeLineJoin=1)
        )
    x, y = spec["head"]
    d.add(Circle(x * s, y * s, 3.6 * s, fillColor=INK, strokeColor=None))
    return d
