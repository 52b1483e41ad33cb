"""Build the TrueType fonts that the PDF documents embed (mediation/static/fonts/).

Run it from the repository root, on Debian 12 (bookworm) with its fonts-noto-cjk package:

    apt-get install -y fonts-noto-cjk      # 1:20220127+repack1-1, Noto Serif CJK 2.001
    python scripts/build_fonts.py          # about a minute on 2 cores; writes the .ttf files
    python scripts/build_fonts.py --check  # rebuilds into a temporary folder, compares bytes

Only fontTools is needed (a WeasyPrint dependency). The built files are committed, so neither an
install nor `make` runs this; run it again only to change what the fonts cover.

Why not Debian's .ttc directly: WeasyPrint subsets every font it embeds, with HarfBuzz when
libharfbuzz-subset0 is installed and with fontTools otherwise, and with fontTools a 26 MB CFF
collection took ~12 s per PDF. TrueType (glyf) files holding only what documents use take a
fraction of that either way, and ship with the app. So GB 2312 and the punctuation and symbols
of documents go into "Mediation Song" (regular and bold), and the other characters of the
source's Simplified Chinese face but Hangul (the rest of GBK, CJK Extensions A and B, ...)
into the fallback "Mediation Song Ext", which a PDF embeds only when it uses one of them.

The output is byte for byte the same for the same source files and fontTools version; the
script checks the first and warns about the second (see mediation/static/fonts/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "mediation" / "static" / "fonts"
SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCE_FACE = "Noto Serif CJK SC"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
LICENCE_FILE = "OFL.txt"

# The files of Debian's fonts-noto-cjk 1:20220127+repack1-1 that the committed fonts were built
# from: another version draws other glyphs, so --check would fail for a reason that is not a bug.
SOURCE_SHA256 = {
    "NotoSerifCJK-Regular.ttc": "a04178ec485dffdff7cc0c0c20e1fce9202d7e2160d805e8e44a4c8841c58481",
    "NotoSerifCJK-Bold.ttc": "a5d4b046c127da3d7c72f98b46c41489cd29bf52abfdf18aba920903e920d4ac",
}

# 1 unit in 1000 per em: the quadratic approximation is far below what 300 dpi can show (a
# twentieth of a pixel for 12 pt text), and 2 units would save only 7 % of the file size.
MAX_ERR = 1.0

# The committed files were built with this fontTools: another may write other bytes.
FONTTOOLS_VERSION = "4.68.0"

# WeasyPrint drops the OpenType layout tables from what it embeds, so they would serve only the
# shaping, where all they bring to Chinese text is Latin kerning and fi/fl ligatures. Without
# libharfbuzz-subset WeasyPrint subsets with fontTools, which decompiles GPOS even to drop it:
# that made embedding the main font twice as slow (140 ms instead of 60). The vertical tables
# are for vertical writing, which documents do not use; VORG means nothing without CFF.
DROPPED_TABLES = ["BASE", "GDEF", "GPOS", "GSUB", "JSTF", "VORG", "vhea", "vmtx"]

# Hangul (11 172 syllables and the jamo) is a third of the source's glyphs and 6.7 MB of the
# fallback, which every PDF that needs one rare hanzi has to load; Chinese documents write even
# Korean names in hanzi. Should one turn up, fontconfig falls back to a system font.
EXT_EXCLUDED = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3130, 0x318F),  # Hangul Compatibility Jamo
    (0xA960, 0xA97F),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7FF),  # Hangul Syllables, Jamo Extended-B
    (0xFFA0, 0xFFDC),  # half-width Hangul
)

# Spaces, and the invisible characters that Pango also leaves in the font of the text around them.
SPACE_CATEGORIES = ("Zs", "Zl", "Zp", "Cc", "Cf")

FAMILY = "Mediation Song"
EXT_FAMILY = "Mediation Song Ext"


@dataclass(frozen=True)
class Target:
    filename: str
    source: str
    family: str
    style: str
    main: bool  # the main font's characters, or all the others that the source has
    description: str


MAIN_TEXT = "GB 2312, GBK symbols, Latin, punctuation."
EXT_TEXT = f"Fallback for {FAMILY}: the source's other characters but Hangul, and spaces."
TARGETS = (
    Target(
        "MediationSong-Regular.ttf", "NotoSerifCJK-Regular.ttc", FAMILY, "Regular", True, MAIN_TEXT
    ),
    Target("MediationSong-Bold.ttf", "NotoSerifCJK-Bold.ttc", FAMILY, "Bold", True, MAIN_TEXT),
    Target(
        "MediationSongExt-Regular.ttf",
        "NotoSerifCJK-Regular.ttc",
        EXT_FAMILY,
        "Regular",
        False,
        EXT_TEXT,
    ),
)


def _decode_all(codec: str, leads: range, trails: range) -> set[int]:
    chars = set()
    for lead in leads:
        for trail in trails:
            try:
                text = bytes((lead, trail)).decode(codec)
            except UnicodeDecodeError:
                continue
            chars.add(ord(text))
    return chars


def _is_han(codepoint: int) -> bool:
    name = unicodedata.name(chr(codepoint), "")
    return name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


def main_charset() -> set[int]:
    """The characters of "Mediation Song": what an ordinary Chinese document is made of."""
    # Both codecs, because they disagree on a few GB 2312 codes that documents do type: A1A4 is
    # U+30FB or U+00B7 (middle dot), A1AA U+2015 or U+2014 (the dash of "——").
    chars = _decode_all("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
    chars |= _decode_all("gbk", range(0xA1, 0xF8), range(0xA1, 0xFF))
    # GBK's symbols outside GB 2312 are few and do occur (〇 in dates, ㎡, ⅰ, ︰): take them all,
    # but none of GBK's 14 000 further hanzi.
    chars |= {c for c in _decode_all("gbk", range(0x81, 0xFF), range(0x40, 0xFF)) if not _is_han(c)}
    ranges = (
        (0x0020, 0x007E),  # ASCII
        (0x00A0, 0x017F),  # Latin-1, Latin Extended-A: names and pinyin with tone marks
        (0x01CD, 0x01DC),  # pinyin ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ
        (0x01F8, 0x01F9),  # pinyin ǹ
        (0x02C6, 0x02DD),  # tone marks as characters
        (0x1E3E, 0x1E3F),  # pinyin ḿ
        (0x2000, 0x205E),  # general punctuation: spaces, dashes, quotes, ……, ‰, ※
        (0x20A0, 0x20CF),  # currency signs
        (0x2100, 0x218F),  # ℃, №, Roman numerals
        (0x2190, 0x21FF),  # arrows
        (0x2200, 0x22FF),  # mathematical operators
        (0x2460, 0x24FF),  # ① ⑴ ⒈
        (0x2500, 0x25FF),  # box drawing, □ ■ ○ ●
        (0x2600, 0x26FF),  # ★ ☆
        (0x2E3A, 0x2E3B),  # two- and three-em dashes
        (0x3000, 0x303F),  # CJK symbols and punctuation: 、。〈〉《》「」『』【】〔〕〖〗〇
        (0x3200, 0x32FF),  # ㈠ ㊀
        (0x3300, 0x33FF),  # ㎡ ㎏
        (0xFE30, 0xFE4F),  # CJK compatibility forms (GBK has some)
        (0xFF01, 0xFF60),  # full-width ASCII: ，．：；？！（）％
        (0xFFE0, 0xFFE6),  # ￥ ￡
    )
    for low, high in ranges:
        chars.update(range(low, high + 1))
    return chars


def load_face(path: Path, face: str = SOURCE_FACE) -> TTFont:
    """The face named `face` in the collection, looked up by name rather than by index."""
    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == face:
            return TTFont(str(path), fontNumber=index)
    raise SystemExit(f"{path}: no face named {face!r}")


def subset_font(font: TTFont, unicodes: set[int]) -> None:
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.desubroutinize = True
    options.drop_tables += DROPPED_TABLES
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)


def cff_to_glyf(font: TTFont) -> None:
    """Replace the CFF outlines with quadratic TrueType ones (after fontTools' otf2ttf snippet)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        tt_pen = TTGlyphPen(glyph_set)
        # PostScript contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(tt_pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = tt_pen.glyph()

    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    del font["CFF "]
    glyf.compile(font)

    # TrueType rasterisers expect each left side bearing to be the glyph's xMin.
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)

    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    maxp.maxTwilightPoints = 0
    maxp.maxStorage = 0
    maxp.maxFunctionDefs = 0
    maxp.maxInstructionDefs = 0
    maxp.maxStackElements = 0
    maxp.maxSizeOfInstructions = 0
    maxp.maxComponentElements = 0

    # Glyph names ("cid12345") cost 9 bytes a glyph, but without them fontTools, which WeasyPrint
    # subsets with when libharfbuzz-subset is missing, derives names from the cmap: 70 ms more
    # for the fallback font in every PDF that uses it.
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = glyph_order
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont, target: Target, source_version: str) -> None:
    """Names of its own: the OFL keeps a Reserved Font Name off derivatives, "Noto" is Google's
    trademark, and a family that no system font has cannot be matched by mistake."""
    old = font["name"]
    copyright_notice = old.getDebugName(0)
    kept = {nid: old.getDebugName(nid) for nid in (8, 9, 11, 12, 13, 14)}
    postscript = f"{target.family.replace(' ', '')}-{target.style}"
    names = {
        0: copyright_notice,
        1: target.family,
        2: target.style,
        3: f"{postscript};{source_version}",
        4: f"{target.family} {target.style}",
        5: f"Version {font['head'].fontRevision:.3f}; built by scripts/build_fonts.py",
        6: postscript,
        10: f"{target.description} Subset of {SOURCE_FACE} {source_version}, TrueType outlines.",
        **{nid: value for nid, value in kept.items() if value},
    }
    table = newTable("name")
    table.names = []
    for nid, value in sorted(names.items()):
        table.setName(value, nid, 3, 1, 0x409)
    font["name"] = table


def fix_timestamps(font: TTFont, source: TTFont) -> None:
    # The source's dates rather than the build's, so that two builds give the same bytes.
    font["head"].created = source["head"].created
    font["head"].modified = source["head"].modified
    font.recalcTimestamp = False


def build(target: Target, source_dir: Path, out_dir: Path) -> Path:
    source = load_face(source_dir / target.source)
    source_version = source["name"].getDebugName(5).split(";")[0].replace("Version ", "")
    available = set(source.getBestCmap())
    main = main_charset() & available
    if target.main:
        unicodes = main
    else:
        excluded = {c for low, high in EXT_EXCLUDED for c in range(low, high + 1)}
        # Pango does not change fonts for a space between two rare characters: without its own
        # spaces the fallback font drew them as .notdef boxes.
        spaces = {c for c in available if unicodedata.category(chr(c)) in SPACE_CATEGORIES}
        unicodes = (available - main - excluded) | spaces

    font = load_face(source_dir / target.source)
    subset_font(font, unicodes)
    cff_to_glyf(font)
    rename(font, target, source_version)
    fix_timestamps(font, source)

    out = out_dir / target.filename
    font.save(str(out), reorderTables=True)
    return out


def ofl_text(copyright_file: Path) -> str:
    """The OFL as Debian ships it with the source fonts (a "License: SIL-1.1" stanza)."""
    lines = copyright_file.read_text(encoding="utf-8").splitlines()
    start = next(
        i
        for i, line in enumerate(lines)
        if line.strip() == "License: SIL-1.1" and i + 1 < len(lines) and lines[i + 1][:1] == " "
    )
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    return "\n".join(body).strip("\n") + "\n"


def write_licence(source_dir: Path, copyright_file: Path, out_dir: Path) -> Path:
    source = load_face(source_dir / TARGETS[0].source)
    name = source["name"]
    header = (
        f"{FAMILY} and {EXT_FAMILY} are Modified Versions of {SOURCE_FACE} "
        f"({name.getDebugName(5).split(';')[0]}),\n"
        f"from Debian's fonts-noto-cjk package, built by scripts/build_fonts.py.\n\n"
        f"Copyright of the original font: {name.getDebugName(0)}\n"
        f"{name.getDebugName(13)}\n\n"
    )
    out = out_dir / LICENCE_FILE
    out.write_text(header + ofl_text(copyright_file), encoding="utf-8")
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_sources(source_dir: Path) -> None:
    for name, expected in SOURCE_SHA256.items():
        path = source_dir / name
        if not path.exists() or not DEBIAN_COPYRIGHT.exists():
            raise SystemExit(
                f"{path} or {DEBIAN_COPYRIGHT} is missing: apt-get install -y fonts-noto-cjk"
            )
        actual = sha256(path)
        if expected and actual != expected:
            print(
                f"warning: {name} is not the file the committed fonts were built from "
                f"(sha256 {actual}); the output will differ",
                file=sys.stderr,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, default=SOURCE_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--check",
        action="store_true",
        help="build into a temporary folder and compare with --out-dir",
    )
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    check_sources(args.source_dir)
    if fontTools.version != FONTTOOLS_VERSION:
        print(
            f"warning: fontTools {fontTools.version}, not {FONTTOOLS_VERSION}: the output may "
            "differ from the committed files",
            file=sys.stderr,
        )

    with tempfile.TemporaryDirectory() as tmp:
        build_dir = Path(tmp) if args.check else args.out_dir
        build_dir.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(build, t, args.source_dir, build_dir) for t in TARGETS]
            built = [future.result() for future in futures]
        built.append(write_licence(args.source_dir, DEBIAN_COPYRIGHT, build_dir))

        status = 0
        for path in built:
            line = f"{path.name}  {path.stat().st_size:>10,} bytes  sha256 {sha256(path)}"
            if args.check:
                committed = args.out_dir / path.name
                same = committed.exists() and committed.read_bytes() == path.read_bytes()
                line += "  same" if same else "  DIFFERS"
                status |= not same
            print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
