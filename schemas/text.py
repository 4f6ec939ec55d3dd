"""The one rule for text that XML 1.0 and PDF can't hold.

Social-media text can carry control characters (U+0000–U+001F except tab and line feed, U+007F–U+009F),
lone surrogates (U+D800–U+DFFF) and the non-characters U+FFFE/U+FFFF. ``capture/thread.json`` keeps them
verbatim (``schemas.capture``); everything rendered for people or written to XML shows each of them as a
visible escape such as ``⟨U+0007⟩`` instead.
"""

from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def escape_label(ch: str) -> str:
    """The visible stand-in for one unsafe character, e.g. ``⟨U+0007⟩``."""
    return f"⟨U+{ord(ch):04X}⟩"


def escape_unsafe(text: str) -> str:
    """``text`` with every unsafe character replaced by its visible escape; safe text is returned as is."""
    return UNSAFE.sub(lambda m: escape_label(m.group()), text)
