"""Length-aware batching of text: shuffle → tokenize → bucket → pad → prefetch.

Padding every batch of a long-tailed corpus to one maximum length wastes most
of a recurrent network's time on padding; grouping texts of similar length
into the same batches (bucketing) removes most of it. `make_batches` builds
that pipeline from a dataset of raw strings, and `bucket_boundaries` picks the
buckets from the length distribution.
"""

import numbers
from collections.abc import Callable
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from kerasseq import validation

Tokenizer = Callable[[tf.Tensor], tf.RaggedTensor]


def bucket_boundaries(
    lengths: Sequence[int] | np.ndarray,
    num_buckets: int = 8,
    max_length: int | None = None,
) -> list[int]:
    """Bucket boundaries at the quantiles of a length distribution.

    Boundaries follow `tf.data.Dataset.bucket_by_sequence_length`: with
    boundaries `[b1, b2, ...]` the buckets hold the lengths `[0, b1)`,
    `[b1, b2)`, ..., `[b_last, inf)`. The boundaries are one more than the
    `k / num_buckets` quantiles (`k = 1 ... num_buckets - 1`, the smallest
    length with at least that fraction of lengths at or below it), so every
    bucket holds about the same number of sequences. Repeated quantiles are
    merged, so fewer buckets come back when many lengths are equal.

    Args:
        lengths: 1-D sequence of non-negative integer lengths (token counts).
        num_buckets: Positive integer, the number of buckets wanted. Defaults
            to `8`.
        max_length: Optional positive integer; lengths are first clipped to it
            (as `make_batches(max_length=...)` truncates). Defaults to `None`.

    Returns:
        The boundaries, a strictly increasing list of at most `num_buckets - 1`
        integers; never a boundary above the longest length (which would
        leave the last bucket empty).

    Example:

    >>> from kerasseq.data import bucket_boundaries
    >>> bucket_boundaries(range(1, 101), num_buckets=4)
    [26, 51, 76]
    """
    num_buckets = validation.check_positive_int("num_buckets", num_buckets)
    max_length = validation.check_positive_int(
        "max_length", max_length, allow_none=True
    )
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise ValueError(
            "`lengths` must be a non-empty 1-D sequence, received an array of "
            f"shape {lengths.shape}"
        )
    if not np.issubdtype(lengths.dtype, np.integer) or lengths.min() < 0:
        raise ValueError(
            "`lengths` must hold non-negative integers, received "
            f"dtype={lengths.dtype} with minimum {lengths.min()!r}"
        )
    return _quantile_boundaries(lengths, num_buckets, max_length)


def token_lengths(
    dataset: tf.data.Dataset,
    tokenizer: Tokenizer,
    max_length: int | None = None,
    batch_size: int = 1024,
) -> np.ndarray:
    """The number of tokens of every text of a dataset, in order.

    Args:
        dataset: A finite dataset of scalar strings or `(string, label)` pairs.
        tokenizer: Callable mapping a 1-D string tensor to a `tf.RaggedTensor`
            of integer ids (as in `make_batches`).
        max_length: Optional positive integer to clip the lengths to.
        batch_size: How many texts to tokenize at a time. Defaults to `1024`.

    Returns:
        An `int64` NumPy array of lengths.
    """
    _has_labels(dataset)  # checks the element structure
    batch_size = validation.check_positive_int("batch_size", batch_size)
    max_length = validation.check_positive_int(
        "max_length", max_length, allow_none=True
    )
    _check_finite(dataset, "token_lengths")

    def lengths_of(*element):
        # element is (texts,) or (texts, labels); labels are not needed.
        return _tokenize(tokenizer, element[0], max_length, 0).row_lengths()

    parts = [
        lengths.numpy()
        for lengths in dataset.batch(batch_size).map(
            lengths_of, num_parallel_calls=tf.data.AUTOTUNE
        )
    ]
    return np.concatenate(parts) if parts else np.zeros([0], np.int64)


def make_batches(
    dataset: tf.data.Dataset,
    tokenizer: Tokenizer,
    *,
    batch_size: int | None = None,
    batch_tokens: int | None = None,
    bucket_boundaries: Sequence[int] | str | None = "auto",
    num_buckets: int = 8,
    pad_to_bucket_boundary: bool = False,
    max_length: int | None = None,
    shuffle_buffer: int | None = 10_000,
    seed: int | None = None,
    pad_id: int = 0,
    tokenize_batch_size: int = 1024,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Batches raw texts by length: shuffle → tokenize → bucket → pad → prefetch.

    The stages, in order:

    1. shuffle the raw examples (`shuffle_buffer`, reshuffled every epoch);
    2. tokenize `tokenize_batch_size` texts at a time with `tokenizer` (one
       batched, parallel map), truncate to `max_length`, unbatch;
    3. group sequences of similar length with
       `tf.data.Dataset.bucket_by_sequence_length` and pad each batch on the
       right with `pad_id` to its longest sequence (or, with
       `pad_to_bucket_boundary=True`, to its bucket's largest length);
    4. prefetch.

    Without bucketing (`bucket_boundaries=None`) every batch is padded to its
    longest sequence, or with `pad_to_bucket_boundary=True` to `max_length`
    (the fixed-shape batches of a classic pad-to-max pipeline).

    Batches hold `batch_size` sequences, or with `batch_tokens` as many as fit
    the budget: each bucket's batch size is `batch_tokens // L` with `L` the
    bucket's largest length (at least 1), so that batch size × padded length
    never exceeds `batch_tokens`.

    Args:
        dataset: A `tf.data.Dataset` of scalar strings, or of `(text, label)`
            pairs with a scalar string text and a label of any fixed shape and
            dtype (e.g. `LabelledTexts.to_dataset()`).
        tokenizer: Callable mapping a 1-D `tf.string` tensor to a
            `tf.RaggedTensor` of integer token ids of shape `(batch, None)`,
            traced into the tf.data graph: e.g.
            `kerasseq.tokenizers.WordTokenizer` or
            `keras.layers.TextVectorization(ragged=True)`. A dense 2-D result
            is accepted too (trailing `pad_id`s are removed).
        batch_size: Positive integer, sequences per batch. Give exactly one of
            `batch_size` and `batch_tokens`.
        batch_tokens: Positive integer, padded tokens per batch (see above).
            Needs a known longest length: `max_length`, or the one measured by
            `bucket_boundaries="auto"`.
        bucket_boundaries: `"auto"` (the default) measures the token length of
            every text in one pass over `dataset` (so it must be finite) and
            puts the boundaries at its quantiles with `bucket_boundaries(
            lengths, num_buckets, max_length)`; a list gives the boundaries
            explicitly (as `bucket_by_sequence_length`: buckets `[0, b1)`,
            `[b1, b2)`, ..., `[b_last, inf)`); `None` does not bucket.
        num_buckets: Positive integer, the number of buckets `"auto"` aims for.
            Defaults to `8`.
        pad_to_bucket_boundary: Whether to pad every batch to the largest
            length of its bucket (fixed shapes, one per bucket) rather than to
            its longest sequence. Needs a known longest length (`max_length` or
            `"auto"`) for the last bucket. Defaults to `False`.
        max_length: Optional positive integer; longer sequences keep their first
            `max_length` tokens. Defaults to `None`.
        shuffle_buffer: Size of the shuffle buffer of raw examples; `None` or
            `0` does not shuffle. Defaults to `10_000`.
        seed: Optional integer seed of the shuffle, for repeatable batches.
        pad_id: Integer id used for padding. Defaults to `0` (`[PAD]`).
        tokenize_batch_size: Positive integer, texts tokenized per call of
            `tokenizer`. Defaults to `1024`.
        drop_remainder: Whether to drop each bucket's last, smaller batch.
            Defaults to `False`: every example is in exactly one batch per
            epoch.

    Returns:
        A `tf.data.Dataset` of `(token_ids, label)` batches, or of `token_ids`
        when `dataset` yields texts only. `token_ids` is `int32` of shape
        `(batch, length)`, right-padded with `pad_id`: the padding mask is
        `token_ids != pad_id` (when no real token has id `pad_id`); labels are
        batched (and padded, if they vary in shape) unchanged.

    Raises:
        ValueError: Bad arguments (both or neither of `batch_size` and
            `batch_tokens`, non-positive values, unsorted boundaries, a budget
            smaller than the longest sequence, ...), an infinite dataset with
            `"auto"`, a dataset of other elements, or a tokenizer that does not
            return 2-D integer ids.

    Example:

    >>> import tensorflow as tf
    >>> from kerasseq.data import make_batches
    >>> texts = tf.data.Dataset.from_tensor_slices(
    ...     (["3 4", "5", "6 7 8 9", "2 2 2"], [0, 1, 0, 1])
    ... )
    >>> def tokenizer(batch):
    ...     return tf.strings.to_number(tf.strings.split(batch), tf.int32)
    >>> batches = make_batches(
    ...     texts, tokenizer, batch_size=2, bucket_boundaries=[3], shuffle_buffer=None
    ... )
    >>> for token_ids, labels in batches:
    ...     print(token_ids.numpy().tolist(), labels.numpy().tolist())
    [[3, 4], [5, 0]] [0, 1]
    [[6, 7, 8, 9], [2, 2, 2, 0]] [0, 1]
    """
    has_labels = _has_labels(dataset)
    if (batch_size is None) == (batch_tokens is None):
        raise ValueError(
            "Give exactly one of `batch_size` and `batch_tokens`, received: "
            f"batch_size={batch_size!r}, batch_tokens={batch_tokens!r}"
        )
    batch_size = validation.check_positive_int(
        "batch_size", batch_size, allow_none=True
    )
    batch_tokens = validation.check_positive_int(
        "batch_tokens", batch_tokens, allow_none=True
    )
    num_buckets = validation.check_positive_int("num_buckets", num_buckets)
    max_length = validation.check_positive_int(
        "max_length", max_length, allow_none=True
    )
    tokenize_batch_size = validation.check_positive_int(
        "tokenize_batch_size", tokenize_batch_size
    )
    if shuffle_buffer is not None and (
        isinstance(shuffle_buffer, bool)
        or not isinstance(shuffle_buffer, numbers.Integral)
        or shuffle_buffer < 0
    ):
        raise ValueError(
            "`shuffle_buffer` must be a non-negative integer or None, received: "
            f"shuffle_buffer={shuffle_buffer!r}"
        )
    if isinstance(pad_id, bool) or not isinstance(pad_id, numbers.Integral):
        raise ValueError(f"`pad_id` must be an integer, received: pad_id={pad_id!r}")
    if not callable(tokenizer):
        raise ValueError(
            f"`tokenizer` must be callable, received: tokenizer={tokenizer!r}"
        )

    # Bucket boundaries and the longest length the batches can hold.
    longest = max_length
    lengths = None
    if isinstance(bucket_boundaries, str):
        if bucket_boundaries != "auto":
            raise ValueError(
                "`bucket_boundaries` must be 'auto', a list of lengths or None, "
                f"received: bucket_boundaries={bucket_boundaries!r}"
            )
        _check_finite(dataset, "bucket_boundaries='auto'")
        lengths = token_lengths(dataset, tokenizer, max_length, tokenize_batch_size)
        if lengths.size == 0:
            raise ValueError("`dataset` is empty: there is nothing to batch.")
        boundaries = _quantile_boundaries(lengths, num_buckets, max_length)
        longest = int(lengths.max())
    elif bucket_boundaries is None:
        boundaries = []
    else:
        boundaries = _check_boundaries(bucket_boundaries)
        if max_length is not None:
            # Buckets starting above max_length would stay empty.
            boundaries = [b for b in boundaries if b <= max_length]
    if pad_to_bucket_boundary and longest is None:
        raise ValueError(
            "`pad_to_bucket_boundary=True` needs the longest length to pad the "
            "last bucket to: pass `max_length` or bucket_boundaries='auto'."
        )
    if batch_tokens is not None:
        if longest is None:
            raise ValueError(
                "`batch_tokens` needs the longest length to size the batches of "
                "the last bucket: pass `max_length` or bucket_boundaries='auto'."
            )
        if batch_tokens < max(longest, 1):
            raise ValueError(
                "`batch_tokens` must be at least the longest sequence "
                f"({longest} tokens), received: batch_tokens={batch_tokens!r}"
            )

    # Unknown (-2) or infinite (-1) sizes stay unknown after batching.
    dataset_size = dataset.cardinality()

    # 1. Shuffle the raw examples.
    if shuffle_buffer:
        dataset = dataset.shuffle(
            shuffle_buffer, seed=seed, reshuffle_each_iteration=True
        )

    # 2. Tokenize in batches, then back to one sequence per element. The
    # identity map after unbatch turns the ragged rows into dense 1-D tensors.
    def tokenize(*element):
        ids = _tokenize(tokenizer, element[0], max_length, pad_id)
        return (ids, element[1]) if has_labels else ids

    dataset = (
        dataset.batch(tokenize_batch_size)
        .map(tokenize, num_parallel_calls=tf.data.AUTOTUNE)
        .unbatch()
        .map(lambda *element: element if has_labels else element[0])
    )

    # 3. Bucket by length and pad on the right.
    padding_values = (tf.constant(pad_id, tf.int32), None)
    if not has_labels:
        padding_values = padding_values[0]
    if boundaries:
        uppers = [b - 1 for b in boundaries] + [longest]
        if batch_tokens is None:
            sizes = [batch_size] * len(uppers)
        else:
            sizes = [max(1, batch_tokens // max(upper, 1)) for upper in uppers]
        if pad_to_bucket_boundary:
            # A last boundary above the longest length gives the last real
            # bucket an upper bound to pad to; the bucket after it stays empty.
            boundaries = boundaries + [longest + 1]
            sizes = sizes + [sizes[-1]]
        dataset = dataset.bucket_by_sequence_length(
            lambda ids, *label: tf.shape(ids)[0],
            bucket_boundaries=boundaries,
            bucket_batch_sizes=sizes,
            padding_values=padding_values,
            pad_to_bucket_boundary=pad_to_bucket_boundary,
            drop_remainder=drop_remainder,
        )
        if lengths is not None:
            # The lengths are known, so is the number of batches: Keras then
            # knows the epoch's length (progress bar, no "ran out of data").
            buckets = np.searchsorted(boundaries, lengths, side="right")
            counts = np.bincount(buckets, minlength=len(sizes))
            dataset = dataset.apply(
                tf.data.experimental.assert_cardinality(
                    _number_of_batches(counts, sizes, drop_remainder)
                )
            )
    else:
        size = batch_size if batch_tokens is None else batch_tokens // max(longest, 1)
        padded_shapes = None
        if pad_to_bucket_boundary:
            ids_shape = tf.TensorShape([longest])
            padded_shapes = (
                (ids_shape, dataset.element_spec[1].shape) if has_labels else ids_shape
            )
        examples = int(dataset_size) if lengths is None else lengths.size
        dataset = dataset.padded_batch(
            size,
            padded_shapes=padded_shapes,
            padding_values=padding_values,
            drop_remainder=drop_remainder,
        )
        if examples >= 0:
            dataset = dataset.apply(
                tf.data.experimental.assert_cardinality(
                    _number_of_batches([examples], [size], drop_remainder)
                )
            )

    # 4. Prefetch.
    return dataset.prefetch(tf.data.AUTOTUNE)


def _number_of_batches(counts, sizes, drop_remainder):
    if drop_remainder:
        return int(sum(count // size for count, size in zip(counts, sizes)))
    return int(sum(-(-count // size) for count, size in zip(counts, sizes)))


def _quantile_boundaries(lengths, num_buckets, max_length):
    lengths = np.asarray(lengths, dtype=np.int64)
    if max_length is not None:
        lengths = np.minimum(lengths, max_length)
    if num_buckets == 1:
        return []
    fractions = np.arange(1, num_buckets) / num_buckets
    quantiles = np.quantile(lengths, fractions, method="inverted_cdf")
    boundaries = sorted({int(q) + 1 for q in quantiles})
    return [b for b in boundaries if b <= lengths.max()]


def _check_boundaries(boundaries):
    try:
        values = list(boundaries)
    except TypeError:
        values = None
    if (
        not values
        or any(
            isinstance(b, bool) or not isinstance(b, numbers.Integral) or b <= 0
            for b in values
        )
        or any(a >= b for a, b in zip(values, values[1:]))
    ):
        raise ValueError(
            "`bucket_boundaries` must be 'auto', None or a non-empty, strictly "
            "increasing list of positive integers, received: "
            f"bucket_boundaries={boundaries!r}"
        )
    return [int(b) for b in values]


def _has_labels(dataset):
    spec = dataset.element_spec

    def is_text(spec):
        return (
            isinstance(spec, tf.TensorSpec)
            and spec.dtype == tf.string
            and spec.shape.rank == 0
        )

    if is_text(spec):
        return False
    if (
        isinstance(spec, tuple)
        and len(spec) == 2
        and is_text(spec[0])
        and isinstance(spec[1], tf.TensorSpec)
    ):
        return True
    raise ValueError(
        "`dataset` must yield scalar strings or (text, label) pairs with a "
        f"scalar string text and a dense label, received: element_spec={spec!r}"
    )


def _check_finite(dataset, what):
    if dataset.cardinality() == tf.data.INFINITE_CARDINALITY:
        raise ValueError(
            f"{what} reads the whole dataset, but it is infinite (repeated). "
            "Pass explicit `bucket_boundaries` or repeat after batching."
        )


def _tokenize(tokenizer, texts, max_length, pad_id):
    ids = tokenizer(texts)
    if not isinstance(ids, tf.RaggedTensor):
        ids = tf.convert_to_tensor(ids)
        if ids.shape.rank == 2:
            ids = tf.RaggedTensor.from_tensor(ids, padding=tf.cast(pad_id, ids.dtype))
    if (
        not isinstance(ids, tf.RaggedTensor)
        or ids.shape.rank != 2
        or not ids.dtype.is_integer
    ):
        raise ValueError(
            "`tokenizer` must map a 1-D string tensor to a 2-D RaggedTensor of "
            f"integer ids, received {ids!r} for texts of shape {texts.shape}"
        )
    ids = tf.cast(ids, tf.int32)
    if max_length is not None:
        ids = ids[:, :max_length]
    return ids
