"""PDF rendering never blocks unrelated requests: a long render (a 卷宗) holds no lock that a
one-page document waits for, and renders side by side still draw the same text."""

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

from mediation.documents import render
from mediation.documents.render import render_pdf

# Generous: only reached when the short render is blocked, which is the failure shown.
PATIENCE = 120


def text_of(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def test_a_long_render_does_not_block_a_short_one(monkeypatch):
    """The long render is stopped halfway (inside WeasyPrint, fetching an image) until the
    short one has finished: with one lock around rendering, the short one would wait for it
    and the long one would never be released."""
    from weasyprint import URLFetcher

    fetching, released = threading.Event(), threading.Event()
    plain = render._fetcher

    class HeldFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.endswith("hold.svg"):
                fetching.set()
                assert released.wait(PATIENCE), "the long render was never released"
                return super().fetch(render.qr_data_uri("卷宗"), headers)
            return super().fetch(url, headers)

    monkeypatch.setattr(render, "_fetcher", lambda: HeldFetcher(allowed_protocols={"file", "data"}))
    long_html = (
        "<h1>人民调解卷宗</h1><img src='file:///nowhere/hold.svg'>" + "<p>卷内材料</p>" * 400
    )
    order: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        long_pdf = pool.submit(render_pdf, long_html)
        assert fetching.wait(PATIENCE), "the long render never started"
        monkeypatch.setattr(render, "_fetcher", plain)
        short = pool.submit(render_pdf, "<p>人民调解协议书</p>")
        short_pdf = short.result(timeout=PATIENCE)  # while the long one is still held
        order.append("short done")
        assert not long_pdf.done()
        released.set()
        long_pdf.result(timeout=PATIENCE)
        order.append("long done")
    assert order == ["short done", "long done"]
    assert "人民调解协议书" in text_of(short_pdf)
    long_text = text_of(long_pdf.result())
    assert "人民调解卷宗" in long_text and long_text.count("卷内材料") == 400


def test_renders_side_by_side_draw_the_same_text():
    """Eight renders on four threads at once, each with its own fonts: every PDF carries its
    own text in full (shared Pango font maps garbled or crashed such runs)."""
    names = ["乜㛃", "亓官", "张三", "李四", "王五", "赵六", "钱七", "孙八"]

    def draw(name: str) -> str:
        return text_of(render_pdf(f"<h1>人民调解协议书</h1><p>申请人：{name}</p>" * 30))

    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(draw, names))
    for name, text in zip(names, texts, strict=True):
        assert text.count(f"申请人：{name}") == 30
    assert len(render._idle) <= 4  # no more font sets than renders ran at once
