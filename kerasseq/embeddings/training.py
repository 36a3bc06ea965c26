"""Training word vectors on your own corpus with gensim (Word2Vec, FastText)."""

import os
import pathlib
from collections.abc import Iterable

from kerasseq import validation


class _SplitLines:
    """A re-iterable corpus of token lists from a re-iterable of strings."""

    def __init__(self, lines):
        self.lines = lines

    def __iter__(self):
        for line in self.lines:
            yield line.split()


def _corpus_arguments(corpus) -> dict:
    """gensim's `corpus_file=` for a path, else `sentences=` (re-iterable)."""
    if isinstance(corpus, str | os.PathLike):
        path = pathlib.Path(corpus)
        if not path.is_file():
            raise FileNotFoundError(f"No corpus file at {path}")
        return {"corpus_file": str(path)}
    if iter(corpus) is corpus:
        raise ValueError(
            "`corpus` must be re-iterable (gensim reads it once per epoch): a "
            "list of sentences or a path to a text file, not a one-shot "
            f"iterator, received: corpus={type(corpus).__name__}"
        )
    first = next(iter(corpus), None)
    if first is None:
        raise ValueError("`corpus` is empty: it holds no sentences")
    if isinstance(first, str):
        return {"sentences": _SplitLines(corpus)}
    return {"sentences": corpus}


def _check(vector_size, window, min_count, epochs, workers):
    return {
        "vector_size": validation.check_positive_int("vector_size", vector_size),
        "window": validation.check_positive_int("window", window),
        "min_count": validation.check_positive_int("min_count", min_count),
        "epochs": validation.check_positive_int("epochs", epochs),
        "workers": validation.check_positive_int("workers", workers),
    }


def train_word2vec(
    corpus: Iterable | str | os.PathLike,
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    epochs: int = 5,
    skip_gram: bool = False,
    workers: int = 1,
    seed: int = 1,
    return_model: bool = False,
    **kwargs,
):
    """Trains word2vec vectors (Mikolov et al., 2013) on a corpus with gensim.

    For users without pretrained vectors: the result goes to
    `build_embedding_matrix` like loaded vectors do.

    Args:
        corpus: Sentences: a list of token lists, a list of strings (split on
            whitespace), or the path of a text file with one sentence of
            space-separated tokens per line (read by gensim's fast
            `corpus_file` mode).
        vector_size: Dimension of the vectors. Defaults to `100`.
        window: Context window on each side. Defaults to `5`.
        min_count: Words rarer than this are dropped. Defaults to `5`.
        epochs: Passes over the corpus. Defaults to `5`.
        skip_gram: Skip-gram (`True`) or CBOW (`False`, the default).
        workers: Worker threads. Defaults to `1`, the reproducible setting
            (with `PYTHONHASHSEED` fixed as well).
        seed: Random seed. Defaults to `1`.
        return_model: Return the gensim `Word2Vec` model (to train further)
            instead of its `KeyedVectors`. Defaults to `False`.
        **kwargs: Other `gensim.models.Word2Vec` arguments (`negative`,
            `sample`, `alpha`, ...). On a tiny corpus pass `sample=0`: the
            default down-sampling drops most of it, as every word is frequent.

    Returns:
        The trained `KeyedVectors` (words sorted by descending frequency), or
        the model when `return_model=True`.

    Example:

    >>> from kerasseq.embeddings import train_word2vec
    >>> corpus = ["the cat sat on the mat", "the dog sat on the log"] * 20
    >>> vectors = train_word2vec(corpus, vector_size=8, min_count=1, epochs=2)
    >>> vectors.vector_size, vectors.index_to_key[0]
    (8, 'the')
    """
    from gensim.models import Word2Vec

    settings = _check(vector_size, window, min_count, epochs, workers)
    model = Word2Vec(
        **_corpus_arguments(corpus),
        **settings,
        sg=int(bool(skip_gram)),
        seed=seed,
        **kwargs,
    )
    return model if return_model else model.wv


def train_fasttext(
    corpus: Iterable | str | os.PathLike,
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    epochs: int = 5,
    min_n: int = 3,
    max_n: int = 6,
    bucket: int = 2_000_000,
    skip_gram: bool = False,
    workers: int = 1,
    seed: int = 1,
    return_model: bool = False,
    **kwargs,
):
    """Trains fastText vectors (Bojanowski et al., 2017) on a corpus with gensim.

    The vectors keep their character n-grams, so `build_embedding_matrix`
    can build vectors for words not seen in training (`oov="subword"` or
    `"cascade"`).

    Args:
        corpus: As in `train_word2vec`.
        vector_size, window, min_count, epochs, skip_gram, workers, seed,
            return_model: As in `train_word2vec`.
        min_n: Shortest character n-gram. Defaults to `3`.
        max_n: Longest character n-gram. Defaults to `6`.
        bucket: Number of hash buckets of the n-grams. Defaults to
            `2_000_000`; a small corpus does well with far fewer (and less
            memory: `bucket * vector_size` floats).
        **kwargs: Other `gensim.models.FastText` arguments.

    Returns:
        The trained `FastTextKeyedVectors`, or the model when
        `return_model=True`.

    Example:

    >>> from kerasseq.embeddings import train_fasttext
    >>> corpus = ["the cat sat on the mat", "the dog sat on the log"] * 20
    >>> vectors = train_fasttext(corpus, vector_size=8, min_count=1, bucket=1000)
    >>> "cats" in vectors.key_to_index, vectors["cats"].shape
    (False, (8,))
    """
    from gensim.models import FastText

    settings = _check(vector_size, window, min_count, epochs, workers)
    min_n = validation.check_positive_int("min_n", min_n)
    max_n = validation.check_positive_int("max_n", max_n)
    if max_n < min_n:
        raise ValueError(
            f"`max_n` must be at least `min_n` ({min_n}), received: max_n={max_n}"
        )
    model = FastText(
        **_corpus_arguments(corpus),
        **settings,
        min_n=min_n,
        max_n=max_n,
        bucket=validation.check_positive_int("bucket", bucket),
        sg=int(bool(skip_gram)),
        seed=seed,
        **kwargs,
    )
    return model if return_model else model.wv
