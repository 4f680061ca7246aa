"""Which character encodings teikit reads, and hints when a declaration does not fit the bytes.

An encoding is read only if it is on :data:`ALLOWED`: the Unicode encodings, US-ASCII,
ISO-8859-*, windows-125x, KOI8 and the East Asian multi-byte encodings, in all of which the
characters of markup (``< > & " ' =``) are the ASCII bytes. Others are refused before the
parser sees the document: UTF-7 (``+ADw-`` is ``<``) lets markup hide from anything that reads
bytes, and EBCDIC or unknown names leave no tool able to check the file (docs/security.md,
"Encodings").
"""

from __future__ import annotations

import codecs
import re
from typing import Final

__all__ = [
    "ALLOWED",
    "declared_encoding",
    "detect_encoding",
    "is_allowed",
    "mismatch_hint",
    "single_byte_hint",
    "xml_version",
]

#: Python codec names (``codecs.lookup(name).name``) of the encodings teikit reads.
ALLOWED: Final = frozenset(
    {
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "utf-32-le",
        "utf-32-be",
        "ascii",
        *(f"iso8859-{n}" for n in (*range(1, 12), *range(13, 17))),
        *(f"cp{n}" for n in range(1250, 1259)),
        "koi8-r",
        "koi8-u",
        "shift_jis",
        "euc_jp",
        "euc_kr",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
    }
)

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# '<?' in the encodings told apart by their first bytes (XML 1.0, appendix F)
_NO_BOM: Final = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"\x4c\x6f\xa7\x94", "cp500"),  # EBCDIC '<?xm'
)
_DECLARATION: Final = re.compile(
    r"""<\?xml\s+version\s*=\s*["']([^"']*)["']"""
    r"""(?:\s+encoding\s*=\s*["']([^"']*)["'])?"""
)


def _head(data: bytes) -> tuple[str, str]:
    """Return the family the first bytes show (a codec name) and the start decoded with it."""
    family = "utf-8"
    start = 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            family, start = name, len(bom)
            break
    else:
        for prefix, name in _NO_BOM:
            if data.startswith(prefix):
                family = name
                break
    head = data[start : start + 1024]
    codec = family if family != "utf-8" else "latin-1"  # the declaration is ASCII
    return family, head.decode(codec, "replace")


def declared_encoding(data: bytes) -> str | None:
    """Return the encoding the XML declaration names, as written (``None``: none named).

    >>> declared_encoding(b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>')
    'ISO-8859-1'
    """
    match = _DECLARATION.match(_head(data)[1])
    return match.group(2) if match and match.group(2) else None


def encoding_column(data: bytes) -> int | None:
    """Return the column (1-based) of the encoding name in the XML declaration.

    >>> encoding_column(b'<?xml version="1.0" encoding="UTF-7"?><a/>')
    31
    """
    match = _DECLARATION.match(_head(data)[1])
    return match.start(2) + 1 if match and match.group(2) else None


def xml_version(data: bytes) -> str | None:
    """Return the version the XML declaration names (``None``: no declaration).

    >>> xml_version(b'<?xml version="1.1"?><a/>'), xml_version(b"<a/>")
    ('1.1', None)
    """
    match = _DECLARATION.match(_head(data)[1])
    return match.group(1) if match else None


def detect_encoding(data: bytes) -> str:
    """Return the codec that decodes *data*: its byte-order mark, else its declaration,
    else what its first bytes show, else UTF-8 (the XML default).

    >>> detect_encoding("<?xml version='1.0' encoding='UTF-16'?><a/>".encode("utf-16"))
    'utf-16-le'
    >>> detect_encoding(b"<a/>")
    'utf-8'
    """
    family, _ = _head(data)
    if family != "utf-8":
        return family
    declared = declared_encoding(data)
    if declared:
        try:
            return codecs.lookup(declared).name
        except (LookupError, ValueError):  # ValueError: a name with a NUL in it
            pass
    return family


def is_allowed(name: str) -> bool:
    """Return whether teikit reads the encoding called *name* (any alias Python knows).

    >>> is_allowed("ISO-8859-1"), is_allowed("windows-1252"), is_allowed("UTF-7")
    (True, True, False)
    """
    try:
        return codecs.lookup(name).name in ALLOWED
    except (LookupError, ValueError):  # ValueError: a name with a NUL in it
        return False


def refusal(data: bytes) -> str | None:
    """Return why *data* is refused for its encoding, or ``None`` when it may be parsed."""
    family, _ = _head(data)
    if family == "cp500":
        return "the document is in EBCDIC, which teikit does not read (convert it to UTF-8)"
    declared = declared_encoding(data)
    if declared is None or is_allowed(declared):
        return None
    try:
        known = codecs.lookup(declared).name
    except (LookupError, ValueError):
        return f"unknown encoding {declared!r} declared; teikit reads UTF-8, UTF-16 and a few more"
    why = " (it can hide markup: '+ADw-' is '<')" if known == "utf-7" else ""
    return (
        f"encoding {declared!r} is not read by teikit{why}; convert the document to UTF-8 "
        "(see docs/security.md for the encodings teikit reads)"
    )


def _guess(data: bytes) -> str:
    """Name the encoding non-UTF-8 bytes may be in."""
    if any(0x80 <= byte <= 0x9F for byte in data):
        return "windows-1252"
    return "ISO-8859-1 (or windows-1252)"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def mismatch_hint(data: bytes) -> str | None:
    """Return a hint for a document libxml2 could not decode, or ``None`` without one.

    >>> print(mismatch_hint('<?xml version="1.0"?><a>é</a>'.encode("latin-1")))
    declared UTF-8 (no encoding declared), but the bytes are not UTF-8: they may be ISO-8859-1 \
(or windows-1252); declare it, e.g. <?xml version="1.0" encoding="windows-1252"?>
    """
    declared = declared_encoding(data)
    name = detect_encoding(data)
    said = f"declared {declared}" if declared else "declared UTF-8 (no encoding declared)"
    if name == "utf-8":
        if _is_utf8(data):
            return None
        return (
            f"{said}, but the bytes are not UTF-8: they may be {_guess(data)}; declare it, "
            'e.g. <?xml version="1.0" encoding="windows-1252"?>'
        )
    if name == "ascii" and _is_utf8(data):
        return f'{said}, but the bytes look like UTF-8; declare encoding="UTF-8"'
    if name == "ascii":
        return f"{said}, but the bytes are not ASCII: they may be {_guess(data)}"
    return None


def single_byte_hint(data: bytes, encoding: str | None) -> str | None:
    """Return a warning for a document that parsed in a one-byte encoding although its
    bytes look like UTF-8 (every byte is a character there, so nothing failed).

    >>> print(single_byte_hint('<a>é</a>'.encode(), "ISO-8859-1"))
    declared ISO-8859-1, but the bytes look like UTF-8 ('é' is read as 'Ã©'); declare \
encoding="UTF-8"
    """
    if not encoding:
        return None
    try:
        codec = codecs.lookup(encoding).name
    except (LookupError, ValueError):
        return None
    if not (codec.startswith(("iso8859-", "cp125", "koi8"))) or data.isascii():
        return None
    if not _is_utf8(data):
        return None
    sample = next((c for c in data.decode("utf-8") if ord(c) > 127), "")
    shown = sample.encode("utf-8").decode(codec, "replace")
    return (
        f"declared {encoding}, but the bytes look like UTF-8 ({sample!r} is read as {shown!r}); "
        'declare encoding="UTF-8"'
    )
