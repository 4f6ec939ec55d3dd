"""Placing the thread document's own simple flowables: reportlab's ``handle_flowable`` and ``Frame._add``, cut short.

A long thread hands platypus three flowables thousands of times: ``RunsParagraph`` (item headers and texts),
``Bookmark`` (zero size, records an outline entry) and ``PageBreakUnder`` (a ``CondPageBreak``). For these,
``BaseDocTemplate.handle_flowable`` finds no break before, nothing kept with the next flowable, no page or
action flowable, and calls ``Frame._add``, which asks for the space before, wraps, checks the fit, draws and
moves the frame's cursor. ``place`` does exactly that and nothing else, without the generic attribute probing
(``frameAction``, ``_ZEROSIZE``, ``_SPACETRANSFER``, setting and deleting ``canv``/``_frame``, which these
flowables never read). Anything it does not cover (a flowable that does not fit, a page break that must break,
a frame with backgrounds, flags set by platypus on the flowable) returns False having changed nothing, and
the caller hands the flowable to reportlab's own method.

Written against reportlab 5.1 (``reportlab_compat.ADAPTED`` fingerprints ``Frame._add``,
``BaseDocTemplate.handle_flowable``, ``CondPageBreak.wrap`` and
``doctemplate._addGeneratedContent``).
"""

from __future__ import annotations

from reportlab import rl_config
from reportlab.platypus import BaseDocTemplate, Flowable

from exporters.pdf.paragraphs import RunsParagraph
from exporters.pdf.story_parts import Bookmark, PageBreakUnder

_FUZZ: float = rl_config._FUZZ
_PLATYPUS_FLAGS = ("_skipMeNextTime", "keepWithNext", "pageBreakBefore", "frameBreakBefore", "spaceBefore",
                   "spaceAfter")


def place(doc: BaseDocTemplate, flowables: list[Flowable]) -> bool:
    """Draw ``flowables[0]`` in ``doc``'s current frame as ``doc.handle_flowable(flowables)`` would, and remove
    it; False (nothing changed) when it is not one of the cases above."""
    first = flowables[0]
    kind = first.__class__
    attributes = first.__dict__
    for flag in _PLATYPUS_FLAGS:
        if flag in attributes:
            return False
    if kind is RunsParagraph:
        style = first.style
        if (getattr(style, "pageBreakBefore", 0) == 1 or getattr(style, "frameBreakBefore", 0) == 1
                or getattr(style, "keepWithNext", 0)):
            return False
        before, after = style.spaceBefore, style.spaceAfter
    elif kind is Bookmark or kind is PageBreakUnder:
        before = after = 0
    else:
        return False
    frame = doc.frame
    state = frame.__dict__
    if state.get("_frameBGs"):
        return False
    y, bottom = state["_y"], state["_y1p"]
    if state["_atTop"]:
        before = 0
    elif state["_oASpace"]:
        before = max(before - state["_prevASpace"], 0)
    width = state["_aW"] - state["_leftExtraIndent"] - state["_rightExtraIndent"]
    height = y - bottom - before
    if height <= 0:
        return False
    if kind is PageBreakUnder:
        if height < first.height:  # it breaks the page: reportlab's way
            return False
        drawn_width = drawn_height = 0.0
    else:
        drawn_width, drawn_height = first.wrap(width, height)
    y -= drawn_height + before
    if y < bottom - _FUZZ:
        return False
    del flowables[0]
    if kind is not PageBreakUnder:  # (it draws nothing)
        first.drawOn(doc.canv, state["_x"] + state["_leftExtraIndent"], y, _sW=width - drawn_width)
    y -= after
    if state["_oASpace"]:
        state["_prevASpace"] = after
    if y != state["_y"]:
        state["_atTop"] = 0
    state["_y"] = y
    doc._curPageFlowableCount += 1
    doc.afterFlowable(first)
    generated = state.get("_generated_content")  # ``_addGeneratedContent`` (its ``getattr`` raises inside)
    if generated:
        flowables[0:0] = generated
        del state["_generated_content"]
    return True
