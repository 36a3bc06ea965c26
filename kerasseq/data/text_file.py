"""Reading text files line by line: gzip, encodings, errors that name the line.

Every reader of `kerasseq.data` goes through `read_lines` or `read_text`, so
they share one behaviour:

- A gzip file (recognised by its first two bytes, whatever its name) is
  decompressed on the fly.
- Lines end at `\\n`; a `\\r` before it (CRLF files) is dropped too. Other
  characters that Unicode calls line breaks (U+0085 NEL, U+2028, form feeds)
  stay inside the line: a Latin-1 file such as rt-polarity has `0x85` bytes
  inside its sentences.
- Bytes that do not decode raise `TextDecodeError` naming the file, the line
  and the byte, and suggesting `encoding=` or `errors="replace"`; with
  `errors="replace"` (or any other Python error handler) they are substituted.
- A UTF-8 byte-order mark at the start of the file is dropped.
"""

import codecs
import gzip
import os
from collections.abc import Iterator
from typing import BinaryIO

PathLike = str | os.PathLike

_GZIP_MAGIC = b"\x1f\x8b"


class DataFormatError(ValueError):
    """A data file does not have the layout its reader expects.

    The message names the file and, where it applies, the line number.
    """


class TextDecodeError(UnicodeError):
    """Bytes of a file do not decode with the chosen encoding.

    The message names the file, the line, the offending byte, and the two
    ways out: the file's real `encoding=`, or `errors="replace"`.
    """


def location(path: PathLike, line_number: int | None = None) -> str:
    """`"path, line N"` (or just the path) for error messages."""
    if line_number is None:
        return os.fspath(path)
    return f"{os.fspath(path)}, line {line_number}"


def check_encoding(encoding: str, errors: str) -> tuple[str, str]:
    """Returns `(encoding, errors)` if Python knows both, else raises."""
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(
            "`encoding` must be the name of a Python codec such as 'utf-8' or "
            f"'latin-1', received: encoding={encoding!r}"
        ) from None
    try:
        codecs.lookup_error(errors)
    except (LookupError, TypeError):
        raise ValueError(
            "`errors` must be a Python error handler such as 'strict' or "
            f"'replace', received: errors={errors!r}"
        ) from None
    return encoding, errors


def open_binary(path: PathLike) -> BinaryIO:
    """Opens `path` for binary reading, decompressing it if it is gzip."""
    file = open(path, "rb")
    if file.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=file, mode="rb")
    return file


def read_lines(
    path: PathLike,
    encoding: str = "utf-8",
    errors: str = "strict",
    keep_ends: bool = False,
) -> Iterator[tuple[int, str]]:
    """Yields `(line_number, line)` for every line of a text file.

    Lines are numbered from 1 and streamed, so big files are never held in
    memory whole (for encodings whose newline is not the byte `0x0a`, such as
    UTF-16, the file is decoded in one piece).

    Args:
        path: The file; gzip-compressed files are read transparently.
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: What to do with bytes that do not decode: `"strict"` (the
            default) raises `TextDecodeError`; `"replace"` substitutes U+FFFD;
            any other Python error handler (`"ignore"`, ...) also works.
        keep_ends: Whether each line keeps its `"\\n"` (or `"\\r\\n"`);
            the `csv` module needs them. Defaults to `False`.

    Returns:
        An iterator of `(line_number, line)` pairs.

    Raises:
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "two.txt")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"caf\\xe9\\r\\nna\\xefve\\n")
    >>> from kerasseq.data.text_file import read_lines
    >>> list(read_lines(path, encoding="latin-1"))
    [(1, 'café'), (2, 'naïve')]
    """
    check_encoding(encoding, errors)
    if _newline_is_one_byte(encoding):
        return _read_lines_streaming(path, encoding, errors, keep_ends)
    return _read_lines_whole(path, encoding, errors, keep_ends)


def read_text(path: PathLike, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The whole decoded text of a file, line endings normalised to `"\\n"`.

    Same arguments and errors as `read_lines`.
    """
    return "".join(
        line for _, line in read_lines(path, encoding, errors, keep_ends=True)
    ).replace("\r\n", "\n")


def _newline_is_one_byte(encoding: str) -> bool:
    # ASCII-compatible codecs (UTF-8, Latin-1, cp1252, ...) can be split on the
    # newline byte before decoding; UTF-16/32 cannot.
    try:
        return "\n\r".encode(encoding) == b"\n\r"
    except UnicodeError:
        return False


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _strip_end(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    if raw.endswith(b"\n"):
        return raw[:-1]
    return raw


def _read_lines_streaming(path, encoding, errors, keep_ends):
    utf8 = _is_utf8(encoding)
    if utf8:
        # Decoding line by line with "utf-8-sig" would strip a U+FEFF from
        # every line; only the file's first bytes can be a byte-order mark.
        encoding = "utf-8"
    with open_binary(path) as file:
        for line_number, raw in enumerate(file, start=1):
            if line_number == 1 and utf8 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not keep_ends:
                raw = _strip_end(raw)
            try:
                line = raw.decode(encoding, errors)
            except UnicodeDecodeError as error:
                raise _decode_error(path, line_number, error) from None
            yield line_number, line


def _read_lines_whole(path, encoding, errors, keep_ends):
    with open_binary(path) as file:
        raw = file.read()
    try:
        text = raw.decode(encoding, errors)
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode(encoding, "replace")
        line_number = before.count("\n") + 1
        line_start = before.rfind("\n") + 1
        # Offsets inside the line are counted in characters here.
        offset = len(before) - line_start
        raise _decode_error(path, line_number, error, offset) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    ends_with_newline = text.endswith("\n")
    lines = text.split("\n")
    if ends_with_newline:
        lines.pop()  # the empty string after the last newline
    for line_number, line in enumerate(lines, start=1):
        if not keep_ends:
            line = line.removesuffix("\r")
        elif ends_with_newline or line_number < len(lines):
            line += "\n"
        yield line_number, line


def _decode_error(path, line_number, error, offset=None):
    bad = error.object[error.start : error.end]
    if offset is None:
        offset = error.start
    return TextDecodeError(
        f"{location(path, line_number)}: cannot decode byte(s) "
        f"{bad.hex(' ')} (position {offset + 1} in the line) with "
        f"encoding={error.encoding!r} ({error.reason}). Pass the file's "
        "encoding (e.g. encoding='latin-1' or 'cp1252'), or errors='replace' "
        "to substitute U+FFFD for undecodable bytes."
    )
