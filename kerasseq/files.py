"""File writing shared by the package: nothing half-written is ever visible.

Vocabularies, embedding caches and exports are written to a temporary file in
the destination folder and renamed into place (`os.replace`, atomic on one
file system), so a crash or a full disk leaves the old file or no file, never
a truncated one.
"""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb", encoding: str | None = None):
    """Opens a file for writing that appears at `path` only once complete.

    Args:
        path: Destination path (str or path-like). Its folder is created.
        mode: `"wb"` (the default) or `"w"`.
        encoding: Text encoding for `mode="w"` (newlines are written as
            `"\\n"` on every platform).

    Yields:
        The open temporary file; on a clean exit it is renamed to `path`, on
        an exception it is removed and the exception propagates.

    Example:

    >>> import os, tempfile
    >>> from kerasseq.files import atomic_write
    >>> path = os.path.join(tempfile.mkdtemp(), "tokens.txt")
    >>> with atomic_write(path, "w", encoding="utf-8") as file:
    ...     _ = file.write("[PAD]\\n")
    >>> open(path).read()
    '[PAD]\\n'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f'`mode` must be "w" or "wb", received: mode={mode!r}')
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        newline = "\n" if mode == "w" else None
        with os.fdopen(handle, mode, encoding=encoding, newline=newline) as file:
            yield file
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
