"""HTML → PDF with WeasyPrint, using only the fonts shipped in static/fonts and files on disk:
no network. WeasyPrint is imported on the first render, not when the app starts: every `flask`
command and every worker start would otherwise pay half a second for it.

Renders run side by side: a long 卷宗 never holds up a one-page document. What two renders
must not share is the FontConfiguration: it holds a Pango FreeType font map (with its
FreeType faces and caches) and WeasyPrint's own dict caches, none of them safe to drive from
two threads at once — which is why every render once queued on one process-wide lock. Now
each render borrows a configuration of its own from a pool and gives it back: as many are
made as renders ever ran at the same time (at most the server's threads), each loaded once."""

import atexit
import threading
from contextlib import contextmanager
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


def _fetcher():
    from weasyprint import URLFetcher

    # Fonts, scans and the QR code come from disk or data: URIs; anything else is refused.
    return URLFetcher(allowed_protocols={"file", "data"})


def _new_fonts():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    faces = CSS(string=FONT_FACES, font_config=font_config, url_fetcher=_fetcher())
    return font_config, faces


# Font configurations not in use. Taking one and giving it back are the only steps under
# the lock; the render itself is not.
_idle: list = []
_idle_lock = threading.Lock()


@contextmanager
def _borrowed_fonts():
    with _idle_lock:
        fonts = _idle.pop() if _idle else None
    if fonts is None:
        fonts = _new_fonts()
    try:
        yield fonts
    finally:
        with _idle_lock:
            _idle.append(fonts)


@atexit.register
def _release_fonts() -> None:
    # Let them go before the interpreter tears WeasyPrint's modules down: their finaliser
    # needs them.
    with _idle_lock:
        _idle.clear()


def render_pdf(html: str, *, base_url: Path | None = None, pdf_variant: str | None = None) -> bytes:
    """The PDF for an HTML page drawn by one of templates/documents/. `base_url` is the folder
    relative file references resolve against (the upload folder for scans)."""
    from weasyprint import HTML

    with _borrowed_fonts() as (font_config, faces):
        document = HTML(string=html, base_url=str(base_url or FONTS), url_fetcher=_fetcher())
        return document.write_pdf(
            stylesheets=[faces], font_config=font_config, pdf_variant=pdf_variant
        )


def qr_data_uri(text: str) -> str:
    """A QR code (error correction M) as an SVG data URI: vector, so it prints sharp."""
    return segno.make(text, error="m").svg_data_uri(scale=4, border=0)
