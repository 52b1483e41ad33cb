"""HTML → PDF with WeasyPrint, using only the fonts shipped in static/fonts and files on disk:
no network, one FontConfiguration (and its registered @font-face rules) per process.
WeasyPrint is imported on the first render, not when the app starts: every `flask` command
and every worker start would otherwise pay half a second for it."""

import atexit
import threading
from functools import cache
from pathlib import Path

import segno

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"

FONT_FACES = f"""
@font-face {{ font-family: "Mediation Song"; font-weight: 400;
             src: url("{(FONTS / "MediationSong-Regular.ttf").as_uri()}"); }}
@font-face {{ font-family: "Mediation Song"; font-weight: 700;
             src: url("{(FONTS / "MediationSong-Bold.ttf").as_uri()}"); }}
@font-face {{ font-family: "Mediation Song Ext";
             src: url("{(FONTS / "MediationSongExt-Regular.ttf").as_uri()}"); }}
"""

# Pango and fontconfig are not safe to drive from two threads at once.
_lock = threading.Lock()


def _fetcher():
    from weasyprint import URLFetcher

    # Fonts, scans and the QR code come from disk or data: URIs; anything else is refused.
    return URLFetcher(allowed_protocols={"file", "data"})


@cache
def _fonts():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    # Let it go before the interpreter tears WeasyPrint's modules down: its finaliser needs them.
    atexit.register(_fonts.cache_clear)
    faces = CSS(string=FONT_FACES, font_config=font_config, url_fetcher=_fetcher())
    return font_config, faces


def render_pdf(html: str, *, base_url: Path | None = None, pdf_variant: str | None = None) -> bytes:
    """The PDF for an HTML page drawn by one of templates/documents/. `base_url` is the folder
    relative file references resolve against (the upload folder for scans)."""
    from weasyprint import HTML

    font_config, faces = _fonts()
    with _lock:
        document = HTML(string=html, base_url=str(base_url or FONTS), url_fetcher=_fetcher())
        return document.write_pdf(
            stylesheets=[faces], font_config=font_config, pdf_variant=pdf_variant
        )


def qr_data_uri(text: str) -> str:
    """A QR code (error correction M) as an SVG data URI: vector, so it prints sharp."""
    return segno.make(text, error="m").svg_data_uri(scale=4, border=0)
