"""Privacy: screening of threads for personal data, the redacted variant, and the archivist's review.

``screen_thread`` finds hits (offsets only, :mod:`schemas.screening`), ``redact_thread`` makes the redacted
variant, :mod:`privacy.review` records the archivist's decisions. See ``privacy/README.md``.
"""

from privacy.redact import redact_thread
from privacy.screen import Screener, ScreeningConfig, screen_thread

__all__ = ["Screener", "ScreeningConfig", "redact_thread", "screen_thread"]
