"""Cleaning an upload before it is kept: what is stored, downloaded and bound into the case
file (卷宗) is a rewritten copy that can carry no active content.

A PDF is rewritten with pikepdf: its JavaScript, every action (of the document, its pages,
annotations, form fields and outline), embedded files, forms (AcroForm/XFA) and rich media
go; the pages' content stays. A JPEG or PNG is decoded and encoded again with Pillow, which
leaves its metadata and anything appended after the image behind. A file name loses control
and formatting characters and path separators."""

import contextlib
import io
import unicodedata
from pathlib import PurePosixPath

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

from mediation.workflow import WorkflowError

EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
NAME_LIMIT = 120  # characters, extension included

# Keys that start something on their own: document/page/annotation/field triggers, scripts,
# attached files, forms and rich media. Dropped wherever they occur.
ACTIVE_KEYS = frozenset({
    "/AA", "/OpenAction", "/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/XFA",
    "/AcroForm", "/RichMediaContent", "/RichMediaSettings", "/Collection", "/URI",
    "/EF", "/AF",  # a file specification's embedded stream; files associated with a page
})  # fmt: skip
DANGEROUS_ACTIONS = frozenset({
    "/JavaScript", "/Launch", "/URI", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
    "/Rendition", "/RichMediaExecute", "/Movie", "/Sound", "/ResetForm", "/Hide",
})  # fmt: skip
# Annotations that exist only to play, launch or carry something: removed with their content.
ACTIVE_ANNOTATIONS = frozenset({
    "/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D",
})  # fmt: skip


def clean_filename(name: str | None, content_type: str) -> str:
    """The name to keep and send back: no control or bidi-formatting characters (NUL, C0/C1,
    U+202E ...), no folders, at most NAME_LIMIT characters, ending in the real type's
    extension, never empty."""
    name = (name or "").replace("\\", "/")
    name = PurePosixPath(name).name if "/" in name else name
    kept = "".join(
        ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
    )
    kept = " ".join(kept.split()).strip(" .")
    extension = EXTENSIONS[content_type]
    stem = kept
    if stem.lower().endswith(extension) or (extension == ".jpg" and stem.lower().endswith(".jpeg")):
        extension = stem[stem.rfind(".") :]
        stem = stem[: stem.rfind(".")].rstrip(" .")
    stem = stem[: NAME_LIMIT - len(extension)] or "附件"
    return stem + extension


def clean(data: bytes, content_type: str) -> bytes:
    """The stored copy of an upload whose type was sniffed as `content_type`."""
    if content_type == "application/pdf":
        return clean_pdf(data)
    return clean_image(data, content_type)


def _refuse(message: str) -> WorkflowError:
    return WorkflowError(message, status=400, field="file")


def clean_pdf(data: bytes) -> bytes:
    """A copy of the PDF with its pages and nothing that acts: see the module's docstring."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise _refuse("该 PDF 文件已加密，无法保存。请上传未加密的扫描件。") from None
    except Exception:  # qpdf refuses what it cannot read, whatever the damage is
        raise _refuse("无法读取该 PDF 文件，文件可能已损坏。请重新扫描或导出后再上传。") from None
    with pdf:
        try:
            if len(pdf.pages) == 0:
                raise _refuse("该 PDF 文件没有页面，请重新扫描后再上传。")
            _strip_document(pdf)
            out = io.BytesIO()
            pdf.save(out, encryption=False, fix_metadata_version=False)
        except WorkflowError:
            raise
        except Exception:
            raise _refuse(
                "无法读取该 PDF 文件，文件可能已损坏。请重新扫描或导出后再上传。"
            ) from None
    return out.getvalue()


def _strip_document(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root
    if "/Outlines" in root:  # bookmarks act through /A; a scan needs none
        del root["/Outlines"]
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in names:
                del names[key]
    _drop_annotations(pdf, ACTIVE_ANNOTATIONS)
    # Filled-in form fields and notes keep their look as part of the page (before the form
    # goes with the other active keys); a field without one has nothing left to show.
    with contextlib.suppress(pikepdf.PdfError):  # an odd appearance: its field goes below
        pdf.flatten_annotations("all")
    _drop_annotations(pdf, {"/Widget"})
    _strip(pdf)


def _drop_annotations(pdf: pikepdf.Pdf, subtypes: frozenset[str] | set[str]) -> None:
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if not isinstance(annotations, pikepdf.Array):
            continue
        kept = [
            a
            for a in annotations
            if not (isinstance(a, pikepdf.Dictionary) and str(a.get("/Subtype", "")) in subtypes)
        ]
        if len(kept) != len(annotations):
            page.obj["/Annots"] = pikepdf.Array(kept)


def _is_action(value) -> bool:
    """An action dictionary (it names its type with /S), or a list of them. Structure
    attributes, also kept under /A, do not name one."""
    if isinstance(value, pikepdf.Array):
        return any(_is_action(v) for v in value)
    return isinstance(value, pikepdf.Dictionary) and "/S" in value


def _strip(pdf: pikepdf.Pdf) -> None:
    """Drop the active keys, and every action kept under /A or /Next, from everything the
    document reaches (its trailer down), walked without recursion: outlines and structure
    trees can be deep."""
    seen: set[tuple[int, int]] = set()
    todo = [pdf.trailer]
    while todo:
        obj = todo.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            todo.extend(v for v in obj if isinstance(v, _CONTAINERS))
            continue
        for key in list(obj.keys()):
            if key in ACTIVE_KEYS or (key in ("/A", "/Next") and _is_action(obj[key])):
                del obj[key]
        if str(obj.get("/S", "")) in DANGEROUS_ACTIONS:  # reached some other way: emptied
            for key in list(obj.keys()):
                del obj[key]
            continue
        todo.extend(v for v in obj.values() if isinstance(v, _CONTAINERS))


_CONTAINERS = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)


def clean_image(data: bytes, content_type: str) -> bytes:
    """The picture alone, encoded again in its own format: no EXIF (GPS, camera), no text
    chunks, nothing after the image's end. Turned upright first, as the EXIF said to show it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _refuse("无法读取该图片文件，文件可能已损坏。请重新拍照或扫描后再上传。") from None
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, optimize=True)
    else:
        upright.save(out, "PNG", optimize=True)
    return out.getvalue()
