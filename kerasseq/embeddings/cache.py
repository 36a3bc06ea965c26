"""The reload cache of parsed word vectors: a `.npy` matrix plus a vocabulary.

The first load of a word2vec-family file (GloVe, word2vec text or binary,
fastText `.vec`) writes, in one folder per source file:

- `vectors-<id>.npy`: the float32 matrix, memory-mapped on reload (the rows
  are read from disk only when used, and shared between processes);
- `vocabulary-<id>.txt`: the words, one per line, UTF-8, in row order;
- `manifest.json`: the source's absolute path, size and modification time,
  the parse options, the shape, and the names and sizes of the two files.

A later load reads the manifest and uses the cache only if the source still
has the recorded size and modification time and the files are complete; a
changed source is parsed again and the cache replaced. Nothing here is a
pickle: the matrix loads with `allow_pickle=False`, so a cache folder cannot
run code, whoever wrote it.

Every file is written to a temporary name in the same folder and renamed into
place (`os.replace`); the manifest is renamed last, so a reader never sees a
half-written cache, and the files of a replaced cache are removed after.

The folder of a source `glove.6B.50d.txt.gz` is
`<cache_dir>/glove.6B.50d.txt.gz-<hash of its absolute path>/`, where
`cache_dir` is, unless given: `kerasseq-cache/` beside the source, or, if that
folder cannot be written (a read-only data folder), the user cache folder
`$KERASSEQ_CACHE_DIR`, else `$XDG_CACHE_HOME/kerasseq/embeddings`, else
`~/.cache/kerasseq/embeddings`.
"""

import contextlib
import hashlib
import json
import os
import pathlib
import secrets

import numpy as np

from kerasseq import files

CACHE_VERSION = 1
CACHE_FOLDER_NAME = "kerasseq-cache"
MANIFEST = "manifest.json"


def user_cache_dir() -> pathlib.Path:
    """The per-user cache folder for word vectors (see the module docstring)."""
    if os.environ.get("KERASSEQ_CACHE_DIR"):
        return pathlib.Path(os.environ["KERASSEQ_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return pathlib.Path(base).expanduser() / "kerasseq" / "embeddings"


def default_cache_dirs(source: pathlib.Path) -> list[pathlib.Path]:
    """Where the cache of `source` goes when no `cache_dir` is given, in order."""
    return [source.resolve().parent / CACHE_FOLDER_NAME, user_cache_dir()]


def is_read_only(folder: pathlib.Path) -> bool:
    """Whether `folder` (or, if missing, its nearest existing parent) is read-only.

    Judged by `os.access` and by the permission bits, so that a folder marked
    read-only (`r-x`) counts as such even for root, whom `os.access` lets write.
    """
    folder = pathlib.Path(folder).absolute()
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    try:
        mode = folder.stat().st_mode
    except OSError:
        return True
    return not (os.access(folder, os.W_OK) and mode & 0o222)


def entry_dir(cache_dir: pathlib.Path, source: pathlib.Path) -> pathlib.Path:
    """The folder, inside `cache_dir`, that holds the cache of `source`."""
    resolved = str(source.resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()
    return pathlib.Path(cache_dir) / f"{source.name}-{digest[:12]}"


def _source_key(source: pathlib.Path, options: dict) -> dict:
    stat = source.stat()
    return {
        "version": CACHE_VERSION,
        "source": str(source.resolve()),
        "source_size": stat.st_size,
        "source_mtime_ns": stat.st_mtime_ns,
        "options": options,
    }


def read(
    source: pathlib.Path,
    cache_dirs: list[pathlib.Path],
    options: dict,
    mmap: bool = True,
) -> tuple[list[str], np.ndarray, pathlib.Path] | None:
    """The cached `(words, vectors, folder)` of `source`, or None if none is valid.

    Args:
        source: The word-vector file that was parsed.
        cache_dirs: Cache folders to look in, in order.
        options: The parse options; a cache written with others is not used.
        mmap: Whether to memory-map the matrix (read-only) instead of reading
            it into memory.
    """
    key = _source_key(source, options)
    for cache_dir in cache_dirs:
        folder = entry_dir(cache_dir, source)
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if any(manifest.get(name) != value for name, value in key.items()):
                continue
            vectors_path = folder / manifest["vectors"]
            vocabulary_path = folder / manifest["vocabulary"]
            if (
                vectors_path.stat().st_size != manifest["vectors_size"]
                or vocabulary_path.stat().st_size != manifest["vocabulary_size"]
            ):
                continue
            vectors = np.load(
                vectors_path, mmap_mode="r" if mmap else None, allow_pickle=False
            )
            data = vocabulary_path.read_bytes().decode("utf-8", "surrogatepass")
            words = data.split("\n") if data else []
        except (OSError, ValueError, KeyError, TypeError):
            continue  # missing, partial or foreign: parse again
        if vectors.ndim != 2 or list(vectors.shape) != manifest["shape"]:
            continue
        if len(words) != len(vectors):
            continue
        return words, vectors, folder
    return None


def write(
    source: pathlib.Path,
    cache_dir: pathlib.Path,
    words: list[str],
    vectors: np.ndarray,
    options: dict,
) -> pathlib.Path:
    """Writes the cache of `source` into `cache_dir` and returns its folder.

    Raises:
        OSError: if the folder cannot be created or written.
        ValueError: if a word contains a newline (it cannot be cached).
    """
    text = "\n".join(words)
    if text.count("\n") != max(len(words) - 1, 0):
        raise ValueError("a word contains a newline; the vectors are not cached")
    key = _source_key(source, options)
    folder = entry_dir(cache_dir, source)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        previous = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    token = secrets.token_hex(6)
    vectors_name = f"vectors-{token}.npy"
    vocabulary_name = f"vocabulary-{token}.txt"
    with files.atomic_write(folder / vectors_name) as file:
        np.save(file, np.ascontiguousarray(vectors, dtype=np.float32))
    try:
        with files.atomic_write(folder / vocabulary_name) as file:
            file.write(text.encode("utf-8", "surrogatepass"))
        manifest = {
            **key,
            "shape": list(vectors.shape),
            "dtype": "float32",
            "vectors": vectors_name,
            "vectors_size": (folder / vectors_name).stat().st_size,
            "vocabulary": vocabulary_name,
            "vocabulary_size": (folder / vocabulary_name).stat().st_size,
        }
        with files.atomic_write(folder / MANIFEST) as file:
            file.write(json.dumps(manifest, indent=1).encode("utf-8"))
    except BaseException:
        for name in (vectors_name, vocabulary_name):
            with contextlib.suppress(OSError):
                os.unlink(folder / name)
        raise
    # The replaced cache's files (a reader that mapped them keeps its mapping).
    for name in (previous.get("vectors"), previous.get("vocabulary")):
        if isinstance(name, str) and name not in (vectors_name, vocabulary_name):
            with contextlib.suppress(OSError):
                os.unlink(folder / os.path.basename(name))
    return folder
