"""Media blocks of an item: images from the capture's media folder (or a placeholder), links, alt text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from reportlab.platypus import Flowable, Indenter, Spacer

from exporters.pdf.fonts import BODY_ITALIC
from exporters.pdf.images import ImageError, image_flowable, placeholder, prepare_image
from exporters.pdf.paragraphs import markup_paragraph
from exporters.pdf.story_parts import MAX_IMAGE_HEIGHT, StoryContext
from exporters.pdf.styles import FRAME_WIDTH, NOTE, PLACEHOLDER, indent_of, indented
from exporters.pdf.text import markup
from schemas.findings import Finding
from schemas.thread import Media


class MediaBlocks:
    """Flowables of an item's media; a missing or unreadable image becomes a placeholder and a warning."""

    def __init__(self, context: StoryContext, media_dir: Path | None) -> None:
        self.context = context
        self.media_dir = media_dir

    def _resolve(self, media: Media) -> Path | None:
        if not media.path or self.media_dir is None:
            return None
        base = self.media_dir.resolve()
        try:  # a NUL, a name too long or a symlink loop is no usable path; a FIFO or folder is never opened
            path = (base / media.path).resolve()
            usable = path.is_file() or not path.exists()
        except (OSError, ValueError):
            return None
        return path if usable and path.is_relative_to(base) else None

    def _media(self, media: Media, owner: str, indent: float) -> Iterator[Flowable]:
        width = FRAME_WIDTH - indent
        kind_label = {"image": "Bilde", "screenshot": "Skjermbilde", "video": "Video", "link": "Lenke"}[media.kind]
        if media.kind in ("image", "screenshot"):
            path = self._resolve(media)
            if path is None:
                reason = "ugyldig filsti" if media.path and self.media_dir else "ikke fanget"
                if media.path:
                    rule = "media-refused" if self.media_dir else "media-missing"
                    self.context.warn(Finding(rule, f"{kind_label.lower()} {media.id} ({media.path}): {reason}",
                                              owner, "warning"))
                yield placeholder(
                    f"{kind_label} {xml_escape(media.id)} kan ikke vises: {reason}."
                    + (f"<br/>{markup(media.url)}" if media.url else ""),
                    PLACEHOLDER,
                    width,
                )
            else:
                try:
                    yield image_flowable(prepare_image(path), width, MAX_IMAGE_HEIGHT)
                except ImageError as problem:
                    self.context.warn(Finding("image-placeholder",
                                              f"{kind_label.lower()} {media.id} ({media.path}): {problem}",
                                              owner, "warning"))
                    yield placeholder(
                        f"{kind_label} {xml_escape(media.id)} kan ikke vises: {xml_escape(str(problem))}."
                        f"<br/>Originalfilen ligger i pakken: {markup(media.path or '')}",
                        PLACEHOLDER,
                        width,
                    )
        else:
            target = media.url or media.path or media.id
            yield markup_paragraph(f"{kind_label}: {markup(target)}", indented(NOTE, 0))
        if media.alt_text:
            yield markup_paragraph(f"Alternativ tekst: {markup(media.alt_text, BODY_ITALIC)}", NOTE)

    def block(self, owner: str, level: int, media: list[Media]) -> Iterator[Flowable]:
        if not media:
            return
        indent = indent_of(level + 1) if level else 0.0
        if indent:
            yield Indenter(left=indent)
        for entry in media:
            yield from self._media(entry, owner, indent)
            yield Spacer(0, 3)
        if indent:
            yield Indenter(left=-indent)
