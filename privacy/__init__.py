"""Privacy: screening of threads for personal data, the redacted variant, and the archivist's review.

``screen_thread`` finds hits (offsets only, :mod:`schemas.screening`). See ``privacy/README.md``.
"""

from privacy.screen import Screener, ScreeningConfig, screen_thread

__all__ = ["Screener", "ScreeningConfig", "screen_thread"]
