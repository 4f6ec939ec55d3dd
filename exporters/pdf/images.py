"""Images for the document: downscaled to print resolution, flattened to RGB, or a placeholder box.

A photo is never embedded raw: it is decoded (JPEG decoding is reduced with ``draft`` first), alpha
is flattened onto white (PDF/A-1 forbids soft masks), and it is re-encoded as a JPEG of at most
``MAX_SIDE_PX`` pixels on its long side. A corrupt file, a decompression bomb or a missing file becomes
a framed placeholder with a Norwegian explanation; the export goes on and a warning is recorded.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Table, TableStyle
from reportlab.platypus import Image as RLImage

from exporters.pdf.fonts import BODY
from exporters.pdf.paragraphs import markup_paragraph

log = logging.getLogger(__name__)

MAX_SIDE_PX = 1400  # ~200 dpi across the A4 text width
MAX_PIXELS = 60_000_000  # larger images are refused as possible decompression bombs
JPEG_QUALITY = 85


class ImageError(Exception):
    """An image that can't be shown; the message is Norwegian and goes into the placeholder."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    width_px: int
    height_px: int


def prepare_image(path: Path) -> PreparedImage:
    """Decode, flatten and downscale an image file to an embeddable JPEG; raises ImageError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                img: Image.Image = opened
                if img.width * img.height > MAX_PIXELS:
                    raise ImageError(f"bildet er for stort ({img.width}×{img.height} piksler)")
                img.draft("RGB", (MAX_SIDE_PX, MAX_SIDE_PX))
                img.load()
                img = ImageOps.exif_transpose(img)
                if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                    rgba = img.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, (255, 255, 255))
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                    img = flat
                elif img.mode != "RGB":
                    img = img.convert("RGB")
                img.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False)
                return PreparedImage(out.getvalue(), img.width, img.height)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"bildet er for stort (mulig dekompresjonsbombe): {exc}") from exc
    except FileNotFoundError as exc:
        raise ImageError("bildefilen mangler") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"bildefilen er skadet eller har ukjent format ({type(exc).__name__})") from exc


def image_flowable(data: PreparedImage, max_width: float, max_height: float) -> Flowable:
    """A reportlab image scaled to fit ``max_width`` × ``max_height`` points, never enlarged past 100 dpi."""
    natural_w, natural_h = data.width_px * 72 / 100, data.height_px * 72 / 100
    scale = min(max_width / natural_w, max_height / natural_h, 1.0)
    flowable = RLImage(io.BytesIO(data.data), width=natural_w * scale, height=natural_h * scale)
    flowable.hAlign = "LEFT"
    return flowable


def placeholder(message_markup: str, style: ParagraphStyle, width: float) -> Flowable:
    """A framed box with an explanation, standing where an image could not be shown."""
    table = Table([[markup_paragraph(message_markup, style)]], colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), BODY, 8.5),
                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#B00020")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FFF4F4")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    table.hAlign = "LEFT"
    return table
