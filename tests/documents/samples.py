"""Small documents made on the spot: PDFs (plain, encrypted, broken), slides, images, bombs."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

COLOURS = [(0.16, 0.34, 0.85), (0.75, 0.22, 0.17), (0.12, 0.55, 0.3), (0.85, 0.54, 0.0)]


def pdf(pages: int = 3, *, encrypted: bool = False, width: int = 960, height: int = 540) -> bytes:
    """A PDF of `pages` slide-like pages: a coloured band, a title and a few lines of text."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled below, once the page tree's number is known
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for number in range(1, pages + 1):
        red, green, blue = COLOURS[number % len(COLOURS)]
        lines = [
            f"{red} {green} {blue} rg 0 {height - 110} {width} 110 re f",
            f"BT /F1 54 Tf 1 1 1 rg 40 {height - 80} Td (Page {number}) Tj ET",
        ]
        for line in range(6):
            text = f"Point {line + 1} of page {number}: something worth saying."
            lines.append(f"BT /F1 24 Tf 0 0 0 rg 60 {height - 170 - 48 * line} Td ({text}) Tj ET")
        lines.append(f"0.5 g 60 40 {width - 120} 6 re f")
        stream = "\n".join(lines).encode()
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (tree, width, height, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    trailer_extra = b""
    if encrypted:
        # A standard security handler whose user password is not empty: readers ask for it.
        encrypt = add(
            b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 "
            b"/O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> >>"
        )
        trailer_extra = b" /Encrypt %d 0 R /ID [<0123456789abcdef0123456789abcdef> " % encrypt
        trailer_extra += b"<0123456789abcdef0123456789abcdef>]"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, trailer_extra, xref)
    )
    return out.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A one-page PDF of exactly `size` bytes: a comment after its end pads it."""
    document = pdf(1) + b"%"
    assert size >= len(document), f"a PDF takes {len(document)} bytes at least"
    return document + b"0" * (size - len(document))


def png(width: int = 320, height: int = 200, colour: tuple[int, int, int] = (40, 86, 216)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A PNG of side × side black pixels: a few dozen kilobytes that unpack to gigabytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" * ((side + 7) // 8 + 1)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def zip_bomb() -> bytes:
    """A zip that looks like a Word document and unpacks to far more than it weighs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (150 * 1024 * 1024))
    return buffer.getvalue()


def odt_with_huge_mimetype(path: Path, *, megabytes: int = 256, padding: int = 3) -> Path:
    """An OpenDocument text whose `mimetype` entry unpacks to `megabytes` MB (its type, then
    zeros), padded with `padding` MB that do not compress: within the ratio a zip bomb is
    told by, yet far larger unpacked than packed. Written in pieces, never held in memory."""
    import os

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("mimetype", "w") as entry:
            entry.write(b"application/vnd.oasis.opendocument.text")
            zeros = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                entry.write(zeros)
        archive.writestr("content.xml", "<office:document-content/>")
        info = zipfile.ZipInfo("Pictures/noise.bin")
        info.compress_type = zipfile.ZIP_STORED
        archive.writestr(info, os.urandom(padding * 1024 * 1024))
    return path


def odt(path: Path) -> Path:
    """A (minimal) OpenDocument text, told by its `mimetype` entry."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return path


def pptx(slides: int = 3) -> bytes:
    """A PowerPoint file of `slides` slides, each with a title and a bulleted line."""
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.presentationml"
    files: dict[str, str] = {}
    overrides = [
        f'<Override PartName="/ppt/presentation.xml" ContentType="{ct}.presentation.main+xml"/>',
        f'<Override PartName="/ppt/slideMasters/slideMaster1.xml" '
        f'ContentType="{ct}.slideMaster+xml"/>',
        f'<Override PartName="/ppt/slideLayouts/slideLayout1.xml" '
        f'ContentType="{ct}.slideLayout+xml"/>',
        '<Override PartName="/ppt/theme/theme1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>',
    ]
    for number in range(1, slides + 1):
        overrides.append(
            f'<Override PartName="/ppt/slides/slide{number}.xml" ContentType="{ct}.slide+xml"/>'
        )
    files["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(overrides)
        + "</Types>"
    )
    files["_rels/.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="ppt/presentation.xml"/>'
        "</Relationships>"
    )
    slide_ids = "".join(
        f'<p:sldId id="{255 + n}" r:id="rId{n + 1}"/>' for n in range(1, slides + 1)
    )
    files["ppt/presentation.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><p:presentation xmlns:a="{a}" xmlns:r="{r}" '
        f'xmlns:p="{p}"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/>'
        f"</p:sldMasterIdLst><p:sldIdLst>{slide_ids}</p:sldIdLst>"
        '<p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/>'
        "</p:presentation>"
    )
    pres_rels = [
        f'<Relationship Id="rId1" Type="{rel}/slideMaster" Target="slideMasters/slideMaster1.xml"/>'
    ]
    pres_rels += [
        f'<Relationship Id="rId{n + 1}" Type="{rel}/slide" Target="slides/slide{n}.xml"/>'
        for n in range(1, slides + 1)
    ]
    pres_rels.append(
        f'<Relationship Id="rId{slides + 2}" Type="{rel}/theme" Target="theme/theme1.xml"/>'
    )
    files["ppt/_rels/presentation.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
        + "".join(pres_rels)
        + "</Relationships>"
    )
    empty_tree = (
        '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/>'
        "</p:nvGrpSpPr><p:grpSpPr/></p:spTree></p:cSld>"
    )
    files["ppt/slideMasters/slideMaster1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><p:sldMaster xmlns:a="{a}" xmlns:r="{r}" '
        f'xmlns:p="{p}">{empty_tree}<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" '
        'accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" '
        'accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
        '<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst>'
        "</p:sldMaster>"
    )
    files["ppt/slideMasters/_rels/slideMaster1.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/slideLayout" '
        'Target="../slideLayouts/slideLayout1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/theme" Target="../theme/theme1.xml"/>'
        "</Relationships>"
    )
    files["ppt/slideLayouts/slideLayout1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><p:sldLayout xmlns:a="{a}" xmlns:r="{r}" '
        f'xmlns:p="{p}">{empty_tree}</p:sldLayout>'
    )
    files["ppt/slideLayouts/_rels/slideLayout1.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/slideMaster" '
        'Target="../slideMasters/slideMaster1.xml"/></Relationships>'
    )
    files["ppt/theme/theme1.xml"] = _THEME.format(a=a)
    for number in range(1, slides + 1):
        title = escape(f"Slide {number}")
        body = escape(f"A point made on slide {number}")
        files[f"ppt/slides/slide{number}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><p:sld xmlns:a="{a}" xmlns:r="{r}" '
            f'xmlns:p="{p}"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/>'
            "<p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>"
            + _textbox(2, title, 914400, 457200, 4400)
            + _textbox(3, body, 914400, 2286000, 2800)
            + "</p:spTree></p:cSld></p:sld>"
        )
        files[f"ppt/slides/_rels/slide{number}.xml.rels"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/slideLayout" '
            'Target="../slideLayouts/slideLayout1.xml"/></Relationships>'
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _textbox(shape_id: int, text: str, x: int, y: int, size: int) -> str:
    return (
        f'<p:sp><p:nvSpPr><p:cNvPr id="{shape_id}" name="Text {shape_id}"/>'
        '<p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr>'
        f'<a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="10000000" cy="1200000"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>'
        f'<p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-GB" sz="{size}"/>'
        f"<a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp>"
    )


_THEME = (
    '<?xml version="1.0" encoding="UTF-8"?><a:theme xmlns:a="{a}" name="Plain">'
    '<a:themeElements><a:clrScheme name="Plain">'
    '<a:dk1><a:srgbClr val="000000"/></a:dk1><a:lt1><a:srgbClr val="FFFFFF"/></a:lt1>'
    '<a:dk2><a:srgbClr val="1D2330"/></a:dk2><a:lt2><a:srgbClr val="F5F6F8"/></a:lt2>'
    '<a:accent1><a:srgbClr val="2856D8"/></a:accent1><a:accent2><a:srgbClr val="C0392B"/>'
    '</a:accent2><a:accent3><a:srgbClr val="1E8C4D"/></a:accent3><a:accent4>'
    '<a:srgbClr val="D98A00"/></a:accent4><a:accent5><a:srgbClr val="7A4FD8"/></a:accent5>'
    '<a:accent6><a:srgbClr val="2A9D8F"/></a:accent6><a:hlink><a:srgbClr val="2856D8"/>'
    '</a:hlink><a:folHlink><a:srgbClr val="1D43AD"/></a:folHlink></a:clrScheme>'
    '<a:fontScheme name="Plain"><a:majorFont><a:latin typeface="DejaVu Sans"/><a:ea typeface=""/>'
    '<a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="DejaVu Sans"/>'
    '<a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme>'
    '<a:fmtScheme name="Plain"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/>'
    '</a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill>'
    '<a:schemeClr val="phClr"/></a:solidFill></a:fillStyleLst><a:lnStyleLst><a:ln w="9525">'
    '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="9525"><a:solidFill>'
    '<a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="9525"><a:solidFill>'
    '<a:schemeClr val="phClr"/></a:solidFill></a:ln></a:lnStyleLst><a:effectStyleLst>'
    "<a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle>"
    "<a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst>"
    '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill>'
    '<a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/>'
    "</a:solidFill></a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>"
)
