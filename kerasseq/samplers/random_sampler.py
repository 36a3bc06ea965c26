"""Random sampling with a temperature and an optional top-k cut."""

import numbers

import keras
import tensorflow as tf
from keras import ops

from kerasseq import validation
from kerasseq.samplers.sampler import Sampler

# Seeds drawn for unseeded calls stay below int32's maximum.
_MAX_SEED = 2**31 - 1


@keras.saving.register_keras_serializable(package="kerasseq")
class RandomSampler(Sampler):
    """Samples each next token from the softened, optionally truncated model.

    At each step the logits are divided by `temperature` (below 1 sharpens
    the distribution, above 1 flattens it), all but the `top_k` largest are
    dropped when `top_k` is set, and the next token is drawn from the softmax
    of what is left. The draws use stateless random ops keyed by
    `(seed, step)`, so a seeded sampler gives the same sequences for the same
    inputs on every call, in eager mode, in a `tf.function` and in a reloaded
    SavedModel; with `seed=None` every call draws a fresh seed.
    `top_k=1` is greedy search.

    The score of a sequence is its log-probability under the model itself
    (temperature 1, no cut), comparable with the other samplers' scores.

    Args:
        temperature: Positive float. Defaults to `1.0`.
        top_k: Positive integer or `None` (the whole vocabulary): sample only
            among the `top_k` most likely tokens. Defaults to `None`.
        seed: Integer or `None`. Defaults to `None`.

    Call arguments:
        next: Step function `next(ids, cache, index) -> (logits, cache)`
            (see `kerasseq.samplers.Sampler`).
        start_ids: Integer tensor of shape `(batch_size,)`.
        cache: Nested structure of tensors with the batch as first axis.
        end_id: Integer, the id that ends a sequence.
        max_length: Positive integer, the most tokens to generate.
        pad_id: Integer written after the end, never generated. Defaults
            to `0`.
        return_cache: Boolean, whether to also return the final cache.

    Returns:
        `(token_ids, scores)`: int32 `(batch_size, max_length)` right-padded
        with `pad_id` after `end_id`, and float32 `(batch_size,)` model
        log-probabilities (plus the final cache if `return_cache=True`).

    Example:

    >>> from keras import ops
    >>> from kerasseq.samplers import RandomSampler
    >>> # Ids: 0 [PAD], 1 [START], 2 [END], 3 "a", 4 "b". Uniform choices.
    >>> table = ops.zeros((5, 5))
    >>> def next(ids, cache, index):
    ...     return ops.take(table, ids, axis=0), cache
    >>> sampler = RandomSampler(temperature=0.7, top_k=3, seed=42)
    >>> first, _ = sampler(next, [1, 1], cache={}, end_id=2, max_length=6)
    >>> again, _ = sampler(next, [1, 1], cache={}, end_id=2, max_length=6)
    >>> bool(ops.all(ops.equal(first, again)))
    True
    """

    def __init__(self, temperature=1.0, top_k=None, seed=None):
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, numbers.Real)
            or not temperature > 0.0
        ):
            raise ValueError(
                "`temperature` must be a positive float, "
                f"received: temperature={temperature!r}"
            )
        top_k = validation.check_positive_int("top_k", top_k, allow_none=True)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"`seed` must be an integer or None, received: seed={seed!r}"
            )
        self.temperature = float(temperature)
        self.top_k = top_k
        self.seed = None if seed is None else int(seed)

    def call_seed(self):
        if self.seed is not None:
            return ops.convert_to_tensor(self.seed % _MAX_SEED, "int32")
        # A stateful draw, so each call (eager, traced or served) differs.
        return tf.random.uniform((), maxval=_MAX_SEED, dtype="int32")

    def get_next_token(self, logits, index, seed):
        logits = logits / self.temperature
        if self.top_k is not None:
            k = self.top_k
            if logits.shape[-1] is not None:
                k = min(k, logits.shape[-1])
            kth_largest = ops.top_k(logits, k)[0][:, -1:]
            logits = ops.where(logits < kth_largest, float("-inf"), logits)
        samples = tf.random.stateless_categorical(
            logits, 1, seed=ops.stack([seed, index]), dtype="int32"
        )
        return samples[:, 0]

    def get_config(self):
        return {
            "temperature": self.temperature,
            "top_k": self.top_k,
            "seed": self.seed,
        }
