"""`load_vectors`: every common word-vector format into a gensim `KeyedVectors`."""

import logging
import os
import pathlib
import warnings

import numpy as np

from kerasseq import validation
from kerasseq.embeddings import cache as vector_cache
from kerasseq.embeddings import formats
from kerasseq.embeddings import parsing

logger = logging.getLogger(__name__)

_UNICODE_ERRORS = ("strict", "replace", "ignore", "surrogateescape")


def load_vectors(
    source,
    format: str | None = None,
    *,
    cache: bool = True,
    cache_dir=None,
    mmap: bool = True,
    trusted: bool = False,
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    limit: int | None = None,
):
    """Loads pretrained word vectors from a file or a gensim-data name.

    Reads GloVe text (no header), word2vec text and binary, fastText `.vec`
    and `.bin` (the `.bin` keeps its subword n-grams, so vectors of unseen
    words can be built), gensim's own `KeyedVectors.save` files, and
    gensim-data names such as `"glove-wiki-gigaword-50"`. Text files may be
    compressed (`.gz`, `.bz2`, `.xz`, `.zip`). The format is detected from the
    file's content unless `format` is given; a file that contradicts the given
    format (a header-less GloVe file read as word2vec, a `.vec` whose header
    disagrees with its rows, rows of mixed dimensions) raises a `ValueError`
    that says what the file is and how to load it. Tokens that contain spaces
    (as in glove.840B) are kept whole, with a warning.

    The word2vec-family formats (GloVe, word2vec text and binary, `.vec`) are
    parsed by kerasseq's own streaming parser, several times faster than
    gensim's `load_word2vec_format` and with the same float32 values, and the
    first load writes a cache (a memory-mapped `.npy` matrix plus a vocabulary
    file, see `kerasseq.embeddings.cache`) that later loads read in a fraction
    of a second. The cache is keyed by the source's path, size and
    modification time: a changed source is parsed again.

    Security: gensim's native format (`format="gensim"`, files written by
    `KeyedVectors.save` or a model's `.save`) is a Python pickle, and
    unpickling a file can run arbitrary code. Such a file is only loaded with
    `trusted=True`: pass it only for files you made yourself or fully trust.
    No other format, and no cache file, is a pickle.

    Args:
        source: A path (`str` or `os.PathLike`) of a word-vector file, or a
            gensim-data name (e.g. `"glove-wiki-gigaword-50"`).
        format: One of `"glove"`, `"word2vec"`, `"fasttext-vec"`,
            `"word2vec-binary"`, `"fasttext-bin"`, `"gensim"`,
            `"gensim-data"`, or `None` (the default) to detect it.
        cache: Whether to read and write the reload cache (word2vec-family
            formats only). Defaults to `True`.
        cache_dir: Folder for the cache. Defaults to `None`: a `kerasseq-cache`
            folder beside the source or, where that cannot be written (a
            read-only data folder), the user cache folder
            (`$KERASSEQ_CACHE_DIR`, else `~/.cache/kerasseq/embeddings`).
        mmap: Whether a cached matrix (or a gensim file's large arrays) is
            memory-mapped read-only rather than read into memory. Defaults to
            `True`.
        trusted: Whether to unpickle a gensim native file. Defaults to `False`.
        encoding: Text encoding of the words. Defaults to `"utf-8"`.
        unicode_errors: `"strict"` (the default: raise, naming the line),
            `"replace"`, `"ignore"` or `"surrogateescape"` for bytes that are
            not valid in `encoding` (the original word2vec tool sometimes
            truncates words inside a character).
        limit: Optional positive integer: keep only the first `limit` vectors
            (the most frequent ones in GloVe, word2vec and fastText files). A
            partial parse writes no cache; a complete cache is sliced.

    Returns:
        A gensim `KeyedVectors` (a `FastTextKeyedVectors` for fastText `.bin`
        files). Its `vectors` are float32; they are read-only when memory-mapped.

    Raises:
        FileNotFoundError: if `source` is neither a file nor a gensim-data name.
        ValueError: for an unknown or contradicted `format`, a malformed file,
            or a gensim file without `trusted=True`.
        ConnectionError: for a gensim-data name that is not on this machine
            and cannot be downloaded; the message says where to put the file.

    Example:

    >>> import pathlib, tempfile
    >>> from kerasseq.embeddings import load_vectors
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = folder / "tiny.txt"
    >>> _ = path.write_text("the 0.1 0.2\\nof -0.3 0.4\\n")
    >>> vectors = load_vectors(path, cache_dir=folder / "cache")
    >>> vectors.index_to_key, vectors["of"].tolist()
    (['the', 'of'], [-0.30000001192092896, 0.4000000059604645])
    >>> load_vectors(path, cache_dir=folder / "cache").index_to_key  # cached
    ['the', 'of']
    """
    formats.check_format(format)
    limit = validation.check_positive_int("limit", limit, allow_none=True)
    unicode_errors = validation.check_one_of(
        "unicode_errors", unicode_errors, _UNICODE_ERRORS
    )
    options = {
        "cache": cache,
        "cache_dir": cache_dir,
        "mmap": mmap,
        "trusted": trusted,
        "encoding": encoding,
        "unicode_errors": unicode_errors,
        "limit": limit,
    }
    if format == "gensim-data" or (
        format is None and formats.looks_like_gensim_data_name(source)
    ):
        return load_vectors(gensim_data_path(str(source)), None, **options)

    path = pathlib.Path(os.fspath(source)).expanduser()
    if not path.is_file():
        hint = (
            " (a gensim-data name is lower case with dashes, such as "
            "'glove-wiki-gigaword-50')"
            if isinstance(source, str) and os.sep not in source
            else ""
        )
        raise FileNotFoundError(f"No word-vector file at {path}{hint}")
    if format is None:
        format = formats.detect_format(path)
    else:
        formats.check_declared_format(path, format)

    if format == "gensim":
        return _load_gensim(path, trusted=trusted, mmap=mmap)
    if format == "fasttext-bin":
        return _load_fasttext_bin(path, encoding=encoding, limit=limit)
    return _load_word2vec_family(path, format, **options)


def _load_word2vec_family(
    path, format, *, cache, cache_dir, mmap, trusted, encoding, unicode_errors, limit
):
    options = {"format": format, "encoding": encoding, "unicode_errors": unicode_errors}
    if cache_dir is not None:
        cache_dirs = [pathlib.Path(cache_dir).expanduser()]
    else:
        cache_dirs = vector_cache.default_cache_dirs(path)
    if cache:
        hit = vector_cache.read(path, cache_dirs, options, mmap=mmap)
        if hit is not None:
            words, vectors, folder = hit
            logger.info("Loaded %s vectors from the cache %s", len(words), folder)
            if limit is not None:
                words, vectors = words[:limit], vectors[:limit]
            return keyed_vectors(words, vectors)
    if format == "word2vec-binary":
        words, vectors = parsing.parse_binary(path, encoding, unicode_errors, limit)
    else:
        words, vectors = parsing.parse_text(
            path, format != "glove", encoding, unicode_errors, limit
        )
    words, vectors = _drop_duplicates(path, words, vectors)
    if cache and limit is None and len(words):
        _write_cache(path, cache_dirs, cache_dir is not None, words, vectors, options)
    return keyed_vectors(words, vectors)


def _write_cache(path, cache_dirs, explicit, words, vectors, options):
    failures = []
    for position, cache_dir in enumerate(cache_dirs):
        if not explicit and vector_cache.is_read_only(cache_dir):
            failures.append(f"{cache_dir} is read-only")
            continue
        try:
            folder = vector_cache.write(path, cache_dir, words, vectors, options)
        except (OSError, ValueError) as error:
            failures.append(f"{cache_dir}: {error}")
            if isinstance(error, ValueError):
                break
            continue
        if position > 0:
            warnings.warn(
                f"Cannot write the word-vector cache beside {path} ({failures[0]}); "
                f"it was written to {folder} instead. Pass `cache_dir=` to "
                "choose the folder.",
                stacklevel=4,
            )
        logger.info("Cached the vectors of %s in %s", path, folder)
        return
    where = "the given cache_dir" if explicit else "any default cache folder"
    warnings.warn(
        f"The vectors of {path} were loaded but not cached: cannot write to "
        f"{where} ({'; '.join(failures)}). Pass a writable `cache_dir=`, or "
        "`cache=False` to silence this.",
        stacklevel=4,
    )


def _drop_duplicates(path, words, vectors):
    """Keeps the first row of a word that appears twice, as gensim does."""
    if len(dict.fromkeys(words)) == len(words):
        return words, vectors
    first = {}
    for index, word in enumerate(words):
        first.setdefault(word, index)
    keep = sorted(first.values())
    duplicates = [word for index, word in enumerate(words) if first[word] != index]
    warnings.warn(
        f"{path} holds {len(duplicates)} repeated words (e.g. "
        f"{', '.join(map(repr, duplicates[:3]))}); the first row of each was kept",
        stacklevel=4,
    )
    return [words[index] for index in keep], vectors[keep]


def keyed_vectors(words: list[str], vectors: np.ndarray):
    """A gensim `KeyedVectors` holding `vectors` (not copied) keyed by `words`.

    Args:
        words: Unique words, row order.
        vectors: Array of shape `(len(words), dimension)`.

    Returns:
        A `gensim.models.KeyedVectors`, with a descending `"count"` attribute
        per word as gensim's `load_word2vec_format` makes up.
    """
    from gensim.models import KeyedVectors

    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or len(vectors) != len(words):
        raise ValueError(
            f"`vectors` must have shape (len(words), dimension) = ({len(words)}, "
            f"dimension), received: vectors.shape={vectors.shape}"
        )
    result = KeyedVectors(vectors.shape[1], count=0, dtype=vectors.dtype)
    result.index_to_key = list(words)
    result.key_to_index = dict(zip(result.index_to_key, range(len(words))))
    if len(result.key_to_index) != len(words):
        raise ValueError("`words` must be unique")
    result.vectors = vectors
    result.next_index = len(words)
    result.expandos["count"] = np.arange(len(words), 0, -1, dtype=np.int64)
    return result


def _load_gensim(path, trusted, mmap):
    if not trusted:
        raise ValueError(
            f"{path} is in gensim's native format, which is a Python pickle: "
            "loading a pickle can run arbitrary code. Pass trusted=True only if "
            "you made this file yourself or fully trust where it came from; "
            "otherwise ask for the vectors in word2vec, GloVe or fastText format "
            "(which kerasseq reads safely)."
        )
    from gensim import utils
    from gensim.models import KeyedVectors

    try:
        loaded = utils.SaveLoad.load(str(path), mmap="r" if mmap else None)
    except AttributeError as error:  # a pickle of something else
        raise ValueError(
            f"{path} holds a pickle that is not a gensim object ({error}), not "
            "word vectors"
        ) from None
    if not isinstance(loaded, KeyedVectors) and isinstance(
        getattr(loaded, "wv", None), KeyedVectors
    ):
        loaded = loaded.wv  # a saved Word2Vec or FastText model
    if not isinstance(loaded, KeyedVectors):
        raise ValueError(
            f"{path} holds a {type(loaded).__name__}, not word vectors "
            "(gensim KeyedVectors or a model with `.wv`)"
        )
    return loaded


def _load_fasttext_bin(path, encoding, limit):
    if limit is not None:
        raise ValueError(
            "`limit` is not supported for fastText .bin files (their subword "
            f"n-grams belong to the whole vocabulary), received: limit={limit}"
        )
    from gensim.models.fasttext import load_facebook_vectors

    return load_facebook_vectors(str(path), encoding=encoding)


def _local_gensim_data_file(folder: pathlib.Path, name: str) -> pathlib.Path | None:
    expected = folder / f"{name}.gz"
    if expected.is_file():
        return expected
    if not folder.is_dir():
        return None
    candidates = sorted(
        entry
        for entry in folder.iterdir()
        if entry.is_file()
        and not entry.name.startswith((".", "__"))
        and entry.suffix != ".py"
    )
    return candidates[0] if len(candidates) == 1 else None


def gensim_data_path(name: str) -> pathlib.Path:
    """The local file of the gensim-data vectors `name`, downloaded if needed.

    A copy already in the gensim-data folder (`$GENSIM_DATA_DIR`, else
    `~/gensim-data`) is used without touching the network. Otherwise
    `gensim.downloader` downloads it (only the file: its loader script, which
    gensim would run, is not run; the file is read by `load_vectors`).

    Args:
        name: A gensim-data name, such as `"glove-wiki-gigaword-50"`.

    Returns:
        The path of the file, e.g. `~/gensim-data/<name>/<name>.gz`.

    Raises:
        ConnectionError: if the file is not here and cannot be downloaded; the
            message says where to put a copy made on another machine.
        ValueError: if gensim-data has no such name.
    """
    import gensim.downloader as downloader

    folder = pathlib.Path(downloader.BASE_DIR).expanduser() / name
    local = _local_gensim_data_file(folder, name)
    if local is not None:
        return local
    try:
        path = downloader.load(name, return_path=True)
    except Exception as error:  # the downloader raises bare Exception too
        if "Incorrect model/corpus name" in str(error):
            raise ValueError(
                f"{name!r} is not a gensim-data name; `python -m gensim.downloader "
                "--info` lists them (e.g. 'glove-wiki-gigaword-50')"
            ) from error
        raise ConnectionError(
            f"Cannot download the gensim-data vectors {name!r} ({error}); this "
            "machine may be offline. On a machine with internet run `python -m "
            f"gensim.downloader --download {name}`, then copy the file "
            f"{name}/{name}.gz from its gensim-data folder to {folder / (name + '.gz')}"
            " here (set GENSIM_DATA_DIR to use another gensim-data folder), or pass "
            "the path of the file to load_vectors instead of the name."
        ) from error
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"gensim.downloader returned {path} for {name!r}, but it is not a file"
        )
    return path
