"""Readers of plain text for language models: a whole corpus, or one item a line."""

from kerasseq.data.text_file import PathLike
from kerasseq.data.text_file import check_encoding
from kerasseq.data.text_file import read_lines
from kerasseq.data.text_file import read_text

_SPACES = " \t\r\n\v\f"


def read_plain_text(
    path: PathLike, *, encoding: str = "utf-8", errors: str = "strict"
) -> str:
    """Reads a whole text file as one string, e.g. a character-level corpus.

    Line endings are normalised to `"\\n"`; nothing else changes.

    Args:
        path: The file (gzip read transparently).
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) raises `TextDecodeError` naming the
            file and line of undecodable bytes; `"replace"` substitutes U+FFFD.

    Returns:
        The text.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "corpus.txt")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"First Citizen:\\r\\nSpeak.\\r\\n")
    >>> from kerasseq.data import read_plain_text
    >>> read_plain_text(path)
    'First Citizen:\\nSpeak.\\n'
    """
    return read_text(path, encoding, errors)


def read_text_lines(
    path: PathLike,
    *,
    strip: bool = True,
    skip_blank: bool = True,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> list[str]:
    """Reads one text a line, e.g. names or sentences for a language model.

    Args:
        path: The file (gzip read transparently).
        strip: Whether to remove spaces and tabs around each line. Defaults to
            `True`.
        skip_blank: Whether to drop lines that are empty (after `strip`).
            Defaults to `True`.
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) or `"replace"`.

    Returns:
        The lines, without their line endings.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "dinos.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("Aachenosaurus\\n\\nAardonyx \\n")
    >>> from kerasseq.data import read_text_lines
    >>> read_text_lines(path)
    ['Aachenosaurus', 'Aardonyx']
    """
    check_encoding(encoding, errors)
    lines = []
    for _, line in read_lines(path, encoding, errors):
        if strip:
            line = line.strip(_SPACES)
        if line or not skip_blank:
            lines.append(line)
    return lines
