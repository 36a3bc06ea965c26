"""Word-vector file formats: opening compressed files and detecting the format.

Formats, by the names `load_vectors(format=...)` takes:

- `"glove"`: text without header, `word v1 ... vD` per line.
- `"word2vec"`: text with a `count dimension` header line, then such rows.
- `"fasttext-vec"`: fastText's `.vec`, the word2vec text format.
- `"word2vec-binary"`: the header, then `word ` and D raw float32 per row.
- `"fasttext-bin"`: a fastText `.bin` model, with its subword n-grams.
- `"gensim"`: gensim's native `KeyedVectors.save` file (a pickle).
- `"gensim-data"`: a `gensim.downloader` name such as `"glove-wiki-gigaword-50"`.

`detect_format` tells them apart by content: a fastText magic number, a pickle
opcode, a header line of two integers followed by text rows (word2vec or, for
a `.vec` name, fastText) or raw bytes (binary), or a first line made of a word
and numbers (GloVe).

Text files may be compressed (`.gz`, `.bz2`, `.xz`, `.zip`): they are read
through a streaming decompressor, never unpacked to disk.
"""

import bz2
import lzma
import os
import pathlib
import re
import zipfile
import zlib
from collections.abc import Iterator

from kerasseq import validation

FORMATS = (
    "glove",
    "word2vec",
    "fasttext-vec",
    "word2vec-binary",
    "fasttext-bin",
    "gensim",
    "gensim-data",
)
TEXT_FORMATS = ("glove", "word2vec", "fasttext-vec")
# Formats that `kerasseq.embeddings` parses itself and caches.
CACHED_FORMATS = ("glove", "word2vec", "fasttext-vec", "word2vec-binary")

_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")
_GZIP_MAGIC = b"\x1f\x8b"
_BZ2_MAGIC = b"BZh"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_ZIP_MAGIC = b"PK\x03\x04"
_GENSIM_DATA_NAME = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9.]+)+$")
_READ_SIZE = 1 << 20


def check_format(format: str | None) -> str | None:
    """Returns `format` if it is a known format name (or `None`), else raises."""
    return validation.check_one_of(
        "format", format, FORMATS, allow_none=True, context="(detect it from the file)"
    )


def looks_like_gensim_data_name(source) -> bool:
    """Whether `source` is a bare name such as `"glove-wiki-gigaword-50"`."""
    return (
        isinstance(source, str)
        and not os.path.exists(source)
        and os.sep not in source
        and bool(_GENSIM_DATA_NAME.match(source))
        and pathlib.PurePath(source).suffix.lower()
        not in (".txt", ".gz", ".vec", ".bin", ".zip", ".kv", ".model")
    )


def _file_magic(path: pathlib.Path) -> bytes:
    with open(path, "rb") as file:
        return file.read(8)


def compression(path: pathlib.Path) -> str | None:
    """The compression of `path` from its magic bytes: gzip, bz2, xz, zip or None."""
    magic = _file_magic(path)
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    if magic.startswith(_BZ2_MAGIC) and path.suffix.lower() == ".bz2":
        return "bz2"
    if magic.startswith(_XZ_MAGIC):
        return "xz"
    if magic.startswith(_ZIP_MAGIC):
        return "zip"
    return None


def _zip_member(archive: zipfile.ZipFile, path: pathlib.Path) -> str:
    names = [name for name in archive.namelist() if not name.endswith("/")]
    if len(names) == 1:
        return names[0]
    vectors = [n for n in names if n.lower().endswith((".txt", ".vec"))]
    if len(vectors) == 1:
        return vectors[0]
    raise ValueError(
        f"{path} is a zip archive of {len(names)} files ({', '.join(names[:5])}"
        f"{', ...' if len(names) > 5 else ''}); unzip it and pass the path of the "
        "vectors file"
    )


def iter_blocks(path: pathlib.Path, block_size: int = _READ_SIZE) -> Iterator[bytes]:
    """Yields the decompressed bytes of `path` in blocks of about `block_size`."""
    kind = compression(path)
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            with archive.open(_zip_member(archive, path)) as member:
                while block := member.read(block_size):
                    yield block
        return
    if kind is None:
        with open(path, "rb") as file:
            while block := file.read(block_size):
                yield block
        return

    def new_decompressor():
        if kind == "gzip":
            return zlib.decompressobj(wbits=31)
        if kind == "bz2":
            return bz2.BZ2Decompressor()
        return lzma.LZMADecompressor()

    decompressor = new_decompressor()
    with open(path, "rb") as file:
        while compressed := file.read(block_size):
            while compressed:
                block = decompressor.decompress(compressed)
                if block:
                    yield block
                # A file of several concatenated members (gzip, bz2, xz).
                compressed = decompressor.unused_data if decompressor.eof else b""
                if compressed:
                    decompressor = new_decompressor()
    if kind == "gzip" and not decompressor.eof:
        raise EOFError(f"{path} is truncated: the gzip stream ends early")


def uncompressed_size_hint(path: pathlib.Path) -> int:
    """An estimate of the decompressed size of `path` (gzip stores it mod 2**32)."""
    size = os.path.getsize(path)
    kind = compression(path)
    if kind == "gzip" and size >= 18:
        with open(path, "rb") as file:
            file.seek(-4, os.SEEK_END)
            stored = int.from_bytes(file.read(4), "little")
        # ISIZE wraps above 4 GiB; text compresses about 2.5x, never below 1x.
        while stored < size:
            stored += 1 << 32
        return stored
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            return archive.getinfo(_zip_member(archive, path)).file_size
    if kind in ("bz2", "xz"):
        return size * 3
    return size


def read_head(path: pathlib.Path, size: int = 1 << 16) -> bytes:
    """The first `size` decompressed bytes of `path` (fewer if it is shorter)."""
    head = b""
    for block in iter_blocks(path, block_size=size):
        head += block
        if len(head) >= size:
            break
    return head[:size]


def is_number(text: str) -> bool:
    """Whether `text` parses as a float (the fields of a vector row)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_header(line: bytes) -> tuple[int, int] | None:
    """`(count, dimension)` if `line` is a word2vec header line, else `None`."""
    fields = line.split()
    if len(fields) == 2 and all(field.isdigit() for field in fields):
        return int(fields[0]), int(fields[1])
    return None


def _first_lines(head: bytes, count: int) -> list[bytes]:
    return head.split(b"\n", count)[:count]


def _describe(line: bytes, width: int = 60) -> str:
    text = line.decode("utf-8", "replace").rstrip()
    return repr(text if len(text) <= width else text[:width] + "...")


def _text_row_width(line: bytes) -> int | None:
    """The number of values of a text row `word v1 ... vD`, or None if not one."""
    try:
        fields = line.decode("utf-8").rstrip().split(" ")
    except UnicodeDecodeError:
        return None
    if len(fields) < 2 or not all(is_number(field) for field in fields[1:]):
        return None
    return len(fields) - 1


def detect_format(path) -> str:
    """Detects the word-vector format of the file at `path` from its content.

    Args:
        path: Path of a word-vector file, possibly compressed.

    Returns:
        One of `"glove"`, `"word2vec"`, `"fasttext-vec"`, `"word2vec-binary"`,
        `"fasttext-bin"` or `"gensim"`.

    Raises:
        ValueError: if the content is none of these.

    Example:

    >>> import pathlib, tempfile
    >>> from kerasseq.embeddings import detect_format
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "tiny.txt").write_text("the 0.1 0.2\\nof 0.3 0.4\\n")
    >>> detect_format(folder / "tiny.txt")
    'glove'
    >>> _ = (folder / "tiny.vec").write_text("2 2\\nthe 0.1 0.2\\nof 0.3 0.4\\n")
    >>> detect_format(folder / "tiny.vec")
    'fasttext-vec'
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No word-vector file at {path}")
    head = read_head(path)
    if not head:
        raise ValueError(f"{path} is empty: it holds no word vectors")
    if head.startswith(_FASTTEXT_MAGIC):
        return "fasttext-bin"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "gensim"
    first, *rest = _first_lines(head, 2)
    header = parse_header(first)
    if header is not None:
        # Text rows follow a text header (even of the wrong width: the parser
        # reports the mismatch); raw float32 bytes never read as a text row.
        if _text_row_width(rest[0] if rest else b"") is not None:
            name = str(path).lower().removesuffix(".gz").removesuffix(".zip")
            return "fasttext-vec" if name.endswith(".vec") else "word2vec"
        return "word2vec-binary"
    if _text_row_width(first) is not None:
        return "glove"
    raise ValueError(
        f"Cannot tell the word-vector format of {path}: its first line "
        f"{_describe(first)} is neither a word2vec header `<count> <dimension>` "
        "nor a GloVe row `word v1 ... vD`, and it is not a fastText .bin or a "
        "gensim file. Pass `format=` if it is one of "
        f"{', '.join(map(repr, FORMATS))}."
    )


def check_declared_format(path: pathlib.Path, format: str) -> None:
    """Raises a clear error when the file contradicts the declared `format`.

    Catches the classic mix-ups: a header-less GloVe file read as word2vec (the
    first row would be taken as a header), and a word2vec/.vec file read as
    GloVe (its header would become a one-dimensional "word").
    """
    if format in ("fasttext-bin", "gensim"):
        detected = detect_format(path)
        if detected != format:
            raise ValueError(
                f"{path} is not a {format} file: its content looks like "
                f"{detected!r}; load it with format={detected!r}, or leave "
                "format=None to detect it"
            )
        return
    if format not in CACHED_FORMATS:
        return
    head = read_head(path)
    first, *rest = _first_lines(head, 2)
    header = parse_header(first)
    if format == "glove" and header is not None:
        second = rest[0] if rest else b""
        if _text_row_width(second) is not None:
            raise ValueError(
                f"{path} starts with the word2vec header line {_describe(first)} "
                f"({header[0]} vectors of dimension {header[1]}), so it is not a "
                "header-less GloVe file: load it with format='word2vec' (or "
                "'fasttext-vec'), or leave format=None to detect it"
            )
    if format in ("word2vec", "fasttext-vec", "word2vec-binary") and header is None:
        width = _text_row_width(first)
        hint = (
            f"it looks like a header-less GloVe file ({width} values per row): "
            "load it with format='glove', or leave format=None to detect it"
            if width is not None
            else "leave format=None to detect its format"
        )
        raise ValueError(
            f"{path} has no word2vec header line `<count> <dimension>`: its first "
            f"line is {_describe(first)}; {hint}"
        )
    if header is not None and format != "glove":
        is_text = _text_row_width(rest[0] if rest else b"") is not None
        if format == "word2vec-binary" and is_text:
            raise ValueError(
                f"{path} is a word2vec text file (its rows are text), not binary: "
                "load it with format='word2vec', or leave format=None"
            )
        if format != "word2vec-binary" and not is_text:
            raise ValueError(
                f"The rows of {path} after its header are not text rows: if it "
                "is a binary word2vec file, load it with "
                "format='word2vec-binary', or leave format=None"
            )
