"""Pretrained vectors aligned row for row to a vocabulary, with a coverage report.

Also `pretrained_tokens`: the most frequent pretrained words a vocabulary
lacks, to extend it with.
"""

import dataclasses
import re
from collections.abc import Mapping

import numpy as np

from kerasseq import validation

PAD_TOKENS = ("[PAD]", "")
SPECIAL_TOKENS = ("[UNK]", "[START]", "[END]", "[MASK]", "[CLS]", "[SEP]")
OOV_POLICIES = ("random", "zeros", "mean", "subword", "cascade")
# How each row got its values; the first four are pretrained.
FOUND = ("exact", "lower", "digits", "subword")
ROW_SOURCES = ("pad", "special", *FOUND, "not_found")
_STEPS = {
    "random": ("exact",),
    "zeros": ("exact",),
    "mean": ("exact",),
    "subword": ("exact", "subword"),
    "cascade": ("exact", "lower", "digits", "subword"),
}
_LABELS = {
    "exact": "exact",
    "lower": "after lower-casing",
    "digits": "after digit normalisation",
    "subword": "by fastText subwords",
    "not_found": "not found",
}
_DIGIT = re.compile(r"\d")
_STATISTICS_ROWS = 100_000


@dataclasses.dataclass(frozen=True)
class CoverageReport:
    """How much of a vocabulary (and of its corpus) the pretrained vectors cover.

    Printing it gives a small table. Special rows (`[PAD]`, `[UNK]`, ...) are
    not counted as vocabulary types.

    Attributes:
        types: Number of vocabulary types per outcome: `"exact"`, `"lower"`
            (found after lower-casing, or capitalising), `"digits"` (after
            replacing digits by `0` or `#`), `"subword"` (built from fastText
            n-grams) and `"not_found"`.
        tokens: The same in corpus tokens (each type weighted by its count),
            or `None` without counts.
        num_special: Number of special rows (`[PAD]`, `[UNK]`, `[START]`, ...).
        oov: The OOV policy used.
        not_found_examples: Up to ten types that were not found, the most
            frequent first when counts are known.
    """

    types: dict
    tokens: dict | None
    num_special: int
    oov: str
    not_found_examples: tuple = ()

    @property
    def num_types(self) -> int:
        """Vocabulary types, special rows excluded."""
        return sum(self.types.values())

    @property
    def num_tokens(self) -> int | None:
        """Corpus tokens of those types, or `None` without counts."""
        return None if self.tokens is None else sum(self.tokens.values())

    @property
    def type_coverage(self) -> float:
        """Share of vocabulary types found by any means, in `[0, 1]`."""
        return _share(self.num_types - self.types["not_found"], self.num_types)

    @property
    def token_coverage(self) -> float | None:
        """Share of corpus tokens found by any means, or `None` without counts."""
        if self.tokens is None:
            return None
        return _share(self.num_tokens - self.tokens["not_found"], self.num_tokens)

    def __str__(self) -> str:
        tokens = self.tokens
        title = (
            f"Embedding coverage ({self.num_types:,} vocabulary types"
            + (f", {self.num_tokens:,} corpus tokens" if tokens is not None else "")
            + f"; {self.num_special} special rows; oov={self.oov!r})"
        )
        header = f"{'':<27}{'types':>10}{'share':>9}"
        if tokens is not None:
            header += f"{'tokens':>14}{'share':>9}"
        lines = [title, header]

        def row(label, types, tokens_count):
            line = f"{label:<27}{types:>10,}{_share(types, self.num_types):>9.1%}"
            if tokens is not None:
                share = _share(tokens_count, self.num_tokens)
                line += f"{tokens_count:>14,}{share:>9.1%}"
            return line

        for name in (*FOUND, "not_found"):
            lines.append(row(_LABELS[name], self.types[name], tokens and tokens[name]))
        found_tokens = None if tokens is None else self.num_tokens - tokens["not_found"]
        lines.append(
            row("total found", self.num_types - self.types["not_found"], found_tokens)
        )
        if self.not_found_examples:
            examples = ", ".join(map(repr, self.not_found_examples))
            lines.append(f"not found, e.g.: {examples}")
        return "\n".join(lines)


def _share(part, whole) -> float:
    return part / whole if whole else 0.0


@dataclasses.dataclass(frozen=True, eq=False)
class EmbeddingMatrix:
    """A float32 matrix whose row `i` is the vector of vocabulary token `i`.

    Made by `build_embedding_matrix`. Pass `matrix` to an embedding layer, or
    call `layer()` for a `kerasseq.layers.PretrainedEmbedding` that keeps the
    pretrained rows frozen and trains the others.

    Attributes:
        matrix: float32 array of shape `(len(vocabulary), dimension)`.
        vocabulary: The tokens, row order.
        row_sources: For each row, how it was filled: `"pad"` (zeros),
            `"special"`, `"exact"`, `"lower"`, `"digits"`, `"subword"` or
            `"not_found"` (initialised by the OOV policy).
        coverage: The `CoverageReport`.
        oov: The OOV policy used.
    """

    matrix: np.ndarray
    vocabulary: list
    row_sources: tuple
    coverage: CoverageReport
    oov: str

    @property
    def input_dim(self) -> int:
        """Number of rows (the vocabulary size)."""
        return self.matrix.shape[0]

    @property
    def output_dim(self) -> int:
        """Dimension of the vectors."""
        return self.matrix.shape[1]

    @property
    def pretrained_mask(self) -> np.ndarray:
        """Boolean array, `True` for rows taken from the pretrained vectors."""
        return np.isin(np.asarray(self.row_sources), FOUND)

    @property
    def trainable_rows(self) -> np.ndarray:
        """Rows that train under partial trainability: OOV and special rows.

        The pretrained rows and the padding rows (kept at zero) are excluded.
        """
        sources = np.asarray(self.row_sources)
        return np.flatnonzero(np.isin(sources, ("special", "not_found")))

    def layer(self, trainability: str = "partial", mask_zero: bool = False, **kwargs):
        """A `kerasseq.layers.PretrainedEmbedding` initialised with this matrix.

        Args:
            trainability: `"partial"` (the default: only `trainable_rows`
                train), `"all"` or `"none"`.
            mask_zero: Whether id 0 is padding and is masked.
            **kwargs: Other arguments of the layer, such as `name`.
        """
        from kerasseq.layers.pretrained_embedding import PretrainedEmbedding

        return PretrainedEmbedding(
            weights=self.matrix,
            trainable_rows=self.trainable_rows.tolist(),
            trainability=trainability,
            mask_zero=mask_zero,
            **kwargs,
        )


def _vocabulary_list(vocabulary) -> list:
    if hasattr(vocabulary, "get_vocabulary"):
        vocabulary = vocabulary.get_vocabulary()
    if isinstance(vocabulary, str) or not all(isinstance(t, str) for t in vocabulary):
        raise ValueError(
            "`vocabulary` must be a list of strings or have `get_vocabulary()`, "
            f"received: vocabulary={vocabulary!r:.80}"
        )
    return list(vocabulary)


def _case_variants(token):
    variants = [token.lower(), token.capitalize(), token.upper()]
    return [v for v in dict.fromkeys(variants) if v != token]


def _digit_variants(token):
    if not _DIGIT.search(token):
        return []
    variants = []
    for base in dict.fromkeys((token, token.lower())):
        variants += [_DIGIT.sub("0", base), _DIGIT.sub("#", base)]
    return [v for v in dict.fromkeys(variants) if v != token]


def _has_subwords(vectors) -> bool:
    return getattr(vectors, "bucket", 0) > 0 and hasattr(vectors, "vectors_ngrams")


def _subword_vector(vectors, token):
    from gensim.models.fasttext import ft_ngram_hashes

    hashes = ft_ngram_hashes(token, vectors.min_n, vectors.max_n, vectors.bucket)
    if len(hashes) == 0:
        return None
    return np.asarray(vectors.get_vector(token), np.float32)


def _statistics(table) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and std of the pretrained vectors (a 100k-row sample)."""
    if len(table) > _STATISTICS_ROWS:
        table = table[np.linspace(0, len(table) - 1, _STATISTICS_ROWS).astype(int)]
    table = np.asarray(table, np.float64)
    return table.mean(axis=0), table.std(axis=0)


def build_embedding_matrix(
    vectors,
    vocabulary,
    oov: str = "random",
    token_counts: Mapping | None = None,
    special_tokens=SPECIAL_TOKENS,
    pad_tokens=PAD_TOKENS,
    seed: int | None = None,
) -> EmbeddingMatrix:
    """Aligns pretrained vectors to a vocabulary, row for row.

    Row `i` of the matrix is the vector of `vocabulary[i]`. Padding rows
    (`[PAD]`, or `""` as Keras's `TextVectorization` names it) are zeros.
    Special rows (`[UNK]`, `[START]`, `[END]`, ...) are not looked up: they get
    the OOV initialisation. Every other token is looked up as the `oov`
    policy says, and what is not found is initialised by it:

    - `"random"` (default): exact lookup; the others are drawn from
      `N(mean, std)`, the per-dimension mean and standard deviation of the
      pretrained vectors.
    - `"zeros"`, `"mean"`: exact lookup; the others are zeros, or the mean
      pretrained vector.
    - `"subword"`: exact lookup, then the vector fastText builds from the
      token's character n-grams (needs fastText vectors with n-grams); the
      rest random.
    - `"cascade"`: exact, then after lower-casing (or capitalising, for
      cased vectors), then after replacing digits by `0` or `#`, then by
      fastText subwords when the vectors have them, the rest random.

    The coverage report counts vocabulary types (and corpus tokens, when
    counts are known) by how they were found.

    Args:
        vectors: A gensim `KeyedVectors` (e.g. from `load_vectors`), or any
            object with `key_to_index` and `vectors`.
        vocabulary: A list of tokens (row `i` = token `i`, conventionally
            `[PAD]` at 0 and `[UNK]` at 1), or an object with
            `get_vocabulary()` (a kerasseq `Vocabulary`, Keras's
            `TextVectorization` or `StringLookup`).
        oov: The OOV policy: `"random"`, `"zeros"`, `"mean"`, `"subword"` or
            `"cascade"`. Defaults to `"random"`.
        token_counts: Optional mapping token -> corpus count, for the token
            coverage. Defaults to `vocabulary.counts` when it exists.
        special_tokens: Tokens that are not looked up. Defaults to `[UNK]`,
            `[START]`, `[END]`, `[MASK]`, `[CLS]`, `[SEP]`.
        pad_tokens: Tokens whose rows are zeros. Defaults to `[PAD]` and `""`.
        seed: Optional integer seed of the random initialisation.

    Returns:
        An `EmbeddingMatrix` (`.matrix`, `.coverage`, `.trainable_rows`, ...).

    Example:

    >>> from kerasseq.embeddings import build_embedding_matrix, keyed_vectors
    >>> vectors = keyed_vectors(["the", "cat"], np.array([[1, 2], [3, 4]], "float32"))
    >>> result = build_embedding_matrix(
    ...     vectors, ["[PAD]", "[UNK]", "the", "Cat", "dog"], oov="cascade", seed=0
    ... )
    >>> result.matrix.shape, result.row_sources
    ((5, 2), ('pad', 'special', 'exact', 'lower', 'not_found'))
    >>> result.matrix[[0, 2, 3]].tolist()
    [[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]]
    >>> result.trainable_rows.tolist()
    [1, 4]
    >>> round(result.coverage.type_coverage, 3)
    0.667
    """
    oov = validation.check_one_of("oov", oov, OOV_POLICIES)
    if not hasattr(vectors, "key_to_index") or not hasattr(vectors, "vectors"):
        raise ValueError(
            "`vectors` must be a gensim KeyedVectors (see `load_vectors`), "
            f"received: vectors={type(vectors).__name__}"
        )
    subwords = _has_subwords(vectors)
    if oov == "subword" and not subwords:
        raise ValueError(
            "oov='subword' needs fastText vectors with subword n-grams (a "
            "fastText .bin loaded with `load_vectors`, or `train_fasttext`), "
            f"received: vectors={type(vectors).__name__}"
        )
    tokens = _vocabulary_list(vocabulary)
    if token_counts is None:
        token_counts = getattr(vocabulary, "counts", None)
    table = vectors.vectors
    key_to_index = vectors.key_to_index
    dimension = table.shape[1]
    pad_tokens, special_tokens = set(pad_tokens), set(special_tokens)

    steps = [s for s in _STEPS[oov] if s != "subword" or subwords]
    sources = []
    matrix = np.zeros((len(tokens), dimension), np.float32)
    exact_rows, exact_index = [], []
    for row, token in enumerate(tokens):
        if token in pad_tokens:
            sources.append("pad")
            continue
        if token in special_tokens:
            sources.append("special")
            continue
        index = key_to_index.get(token)
        if index is not None:
            exact_rows.append(row)
            exact_index.append(index)
            sources.append("exact")
            continue
        source = "not_found"
        for step in steps[1:]:
            if step == "subword":
                vector = _subword_vector(vectors, token)
                if vector is not None:
                    matrix[row] = vector
                    source = step
                    break
                continue
            variants = (
                _case_variants(token) if step == "lower" else _digit_variants(token)
            )
            index = next((key_to_index[v] for v in variants if v in key_to_index), None)
            if index is not None:
                matrix[row] = table[index]
                source = step
                break
        sources.append(source)
    if exact_rows:
        order = np.argsort(exact_index)  # sorted reads, kind to a memory map
        rows = np.asarray(exact_rows)[order]
        matrix[rows] = table[np.asarray(exact_index)[order]]

    # The OOV initialisation of special and not-found rows.
    fill = [row for row, s in enumerate(sources) if s in ("special", "not_found")]
    if fill and oov != "zeros" and len(table):
        mean, std = _statistics(table)
        if oov == "mean":
            matrix[fill] = mean
        else:
            rng = np.random.default_rng(seed)
            matrix[fill] = rng.normal(mean, std, size=(len(fill), dimension))

    coverage = _coverage(tokens, sources, token_counts, oov)
    return EmbeddingMatrix(
        matrix=matrix,
        vocabulary=tokens,
        row_sources=tuple(sources),
        coverage=coverage,
        oov=oov,
    )


def pretrained_tokens(
    vectors, count: int, vocabulary=(), tokenizer=None, batch_size: int = 10_000
) -> list[str]:
    """Up to `count` words of `vectors` that `vocabulary` lacks, in file order.

    GloVe, word2vec and fastText files list the most frequent words first,
    so these are the most frequent pretrained words missing from the
    vocabulary. A vocabulary adapted to the training texts, extended by them
    (with their vectors in the embedding matrix), keeps the pretrained
    vector of a word first met at prediction time instead of mapping it to
    `[UNK]`.

    With `tokenizer`, only words it gives back whole are kept (its
    `split(word)` is exactly `[word]`): rows for words it never produces
    would never be looked up. A lower-casing tokenizer never produces
    `"Paris"`, and one that splits punctuation never produces `"n't"`.

    Args:
        vectors: A gensim `KeyedVectors` (e.g. from `load_vectors`), or any
            object with `key_to_index`.
        count: Non-negative integer, the most words returned.
        vocabulary: The tokens already held (a list of tokens, or an object
            with `get_vocabulary()`, like `build_embedding_matrix` takes).
            Defaults to none.
        tokenizer: Optional kerasseq tokenizer (anything with `split`) whose
            whole tokens the words must be. Defaults to `None` (every word).
        batch_size: Words split by `tokenizer` at a time. Defaults to
            `10000`.

    Returns:
        A list of at most `count` words, in the order of `vectors`.

    Example:

    >>> from kerasseq.embeddings import keyed_vectors, pretrained_tokens
    >>> from kerasseq.tokenizers import WordTokenizer
    >>> words = ["the", ",", "Paris", "n't", "film", "gorgeous"]
    >>> vectors = keyed_vectors(words, np.zeros((6, 2), "float32"))
    >>> pretrained_tokens(vectors, 2, ["[PAD]", "[UNK]", "the"])
    [',', 'Paris']
    >>> pretrained_tokens(vectors, 9, ["[PAD]", "[UNK]", "the"], WordTokenizer())
    [',', 'film', 'gorgeous']
    """
    count = validation.check_non_negative_int("count", count)
    batch_size = validation.check_positive_int("batch_size", batch_size)
    if not hasattr(vectors, "key_to_index"):
        raise ValueError(
            "`vectors` must be a gensim KeyedVectors or have `key_to_index`, "
            f"received: vectors of type {type(vectors).__name__}"
        )
    known = set(_vocabulary_list(vocabulary))
    words = getattr(vectors, "index_to_key", None)
    if words is None:
        words = sorted(vectors.key_to_index, key=vectors.key_to_index.get)
    chosen = []
    for start in range(0, len(words), batch_size):
        if len(chosen) >= count:
            break
        batch = [
            word for word in words[start : start + batch_size] if word not in known
        ]
        if tokenizer is not None and batch:
            batch = _whole_tokens(tokenizer, batch)
        chosen += batch[: count - len(chosen)]
    return chosen


def _whole_tokens(tokenizer, words):
    """The words that `tokenizer.split` gives back as one unchanged token."""
    pieces = tokenizer.split(words)
    lengths = pieces.row_lengths().numpy()
    starts = pieces.row_starts().numpy()
    values = pieces.flat_values.numpy()
    return [
        word
        for word, length, start in zip(words, lengths, starts)
        if length == 1 and values[start].decode("utf-8") == word
    ]


def _coverage(tokens, sources, token_counts, oov) -> CoverageReport:
    types = dict.fromkeys((*FOUND, "not_found"), 0)
    counts = None if token_counts is None else dict.fromkeys(types, 0)
    not_found = []
    for token, source in zip(tokens, sources):
        if source in ("pad", "special"):
            continue
        types[source] += 1
        count = 0 if token_counts is None else int(token_counts.get(token, 0))
        if counts is not None:
            counts[source] += count
        if source == "not_found":
            not_found.append((-count, len(not_found), token))
    examples = tuple(token for _, _, token in sorted(not_found)[:10])
    return CoverageReport(
        types=types,
        tokens=counts,
        num_special=sum(s in ("pad", "special") for s in sources),
        oov=oov,
        not_found_examples=examples,
    )
