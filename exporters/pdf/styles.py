"""Page geometry and paragraph styles of the thread document."""

from __future__ import annotations

from functools import cache

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from exporters.pdf.fonts import BODY, BODY_BOLD, BODY_ITALIC

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = MARGIN_RIGHT = 18 * mm
MARGIN_TOP = 16 * mm
MARGIN_BOTTOM = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

INDENT_STEP = 14.0  # points per nesting level
MAX_INDENT_LEVELS = 5  # deeper replies are shown at this indent and say whom they answer

MUNICIPALITY_COLOR = colors.HexColor("#0B4F8A")
MUTED_COLOR = colors.HexColor("#555555")
REMOVED_COLOR = colors.HexColor("#B00020")
FOOTER_SIZE = 8

TITLE = ParagraphStyle("sa-title", fontName=BODY_BOLD, fontSize=15, leading=19, spaceAfter=8)
SECTION = ParagraphStyle(
    "sa-section", fontName=BODY_BOLD, fontSize=12.5, leading=16, spaceBefore=12, spaceAfter=6, keepWithNext=1
)
LABEL = ParagraphStyle("sa-label", fontName=BODY_BOLD, fontSize=8.5, leading=11)
VALUE = ParagraphStyle("sa-value", fontName=BODY, fontSize=8.5, leading=11, splitLongWords=1)
BODY_TEXT = ParagraphStyle("sa-body", fontName=BODY, fontSize=9.5, leading=12.5, spaceAfter=2)
META = ParagraphStyle(
    "sa-meta", fontName=BODY, fontSize=8.5, leading=11, textColor=MUTED_COLOR, spaceBefore=6, spaceAfter=1
)
NOTE = ParagraphStyle("sa-note", fontName=BODY_ITALIC, fontSize=8.5, leading=11, textColor=MUTED_COLOR, spaceAfter=2)
REMOVED_MARK = ParagraphStyle(
    "sa-removed", fontName=BODY_ITALIC, fontSize=8.5, leading=11, textColor=REMOVED_COLOR, spaceAfter=2
)
PLACEHOLDER = ParagraphStyle("sa-placeholder", fontName=BODY, fontSize=8.5, leading=11, textColor=REMOVED_COLOR)


@cache
def indented(style: ParagraphStyle, level: int) -> ParagraphStyle:
    """``style`` indented for nesting ``level`` (0 = not indented); levels past the cap share one indent."""
    level = min(level, MAX_INDENT_LEVELS)
    if level == 0:
        return style
    return ParagraphStyle(f"{style.name}-{level}", parent=style, leftIndent=style.leftIndent + level * INDENT_STEP)


def indent_of(depth: int) -> float:
    """Indent in points of an item at conversation ``depth`` (0 = post, 1 = comment on the post)."""
    return min(max(depth - 1, 0), MAX_INDENT_LEVELS) * INDENT_STEP
