"""The base of the in-graph decoding samplers: one hypothesis per batch row."""

import numbers

import keras
from keras import ops

from kerasseq import validation


def check_max_length(max_length):
    """Returns a Python `max_length` as an `int` (a tensor passes unchecked)."""
    if isinstance(max_length, numbers.Number) or max_length is None:
        return validation.check_positive_int("max_length", max_length)
    return max_length


def masked_log_softmax(logits, pad_id):
    """Log-probabilities over the last axis with `pad_id` made impossible.

    The padding id marks "no token" in the output, so it is never generated;
    the other tokens are renormalised without it.
    """
    logits = ops.cast(logits, "float32")
    vocabulary = ops.arange(ops.shape(logits)[-1], dtype="int32")
    logits = ops.where(ops.equal(vocabulary, pad_id), float("-inf"), logits)
    return ops.log_softmax(logits, axis=-1)


def write_at(token_ids, index, tokens):
    """Writes `tokens` (`[..., 1]`) at position `index` of the last axis."""
    positions = ops.arange(ops.shape(token_ids)[-1], dtype="int32")
    return ops.where(ops.equal(positions, index), tokens, token_ids)


@keras.saving.register_keras_serializable(package="kerasseq")
class Sampler:
    """Base class of the decoding samplers, run as one in-graph loop.

    A sampler turns a step function into whole sequences. It calls
    `next(ids, cache, index)` once per output position inside
    `keras.ops.while_loop`, for the whole batch at once, so decoding traces
    into a `tf.function` and a SavedModel signature (no Python loop per token,
    no `py_function`). At step `index` (0-based) the step function receives
    the ids chosen at the previous step (`start_ids` at step 0) and returns
    the next-token logits and its updated cache.

    A row ends when it emits `end_id` (which is kept in the output); from then
    on it emits `pad_id` and its score no longer changes. The loop stops after
    `max_length` tokens or as soon as every row has ended. `pad_id` itself is
    never generated: its logit is masked before the softmax.

    Subclasses that keep one hypothesis per row override `get_next_token`
    (the base runs the loop and scores the chosen tokens with the model's
    log-probabilities); `kerasseq.samplers.BeamSampler` overrides `__call__`.

    Call arguments:
        next: The step function `next(ids, cache, index) -> (logits, cache)`:
            `ids` is an int32 tensor of shape `(batch_size,)`, `index` an
            int32 scalar tensor, `logits` a float tensor of shape
            `(batch_size, vocabulary_size)`, and the returned cache has the
            structure and shapes of the one it received.
        start_ids: Integer tensor of shape `(batch_size,)`, the first input
            ids (usually the `[START]` id).
        cache: Any nested structure of tensors whose first axis is the batch
            (RNN states, the previous attentional vector, encoder outputs and
            their mask), or an empty structure.
        end_id: Integer, the id that ends a sequence.
        max_length: Positive integer, the most tokens to generate (the `[END]`
            id included). An int32 scalar tensor is accepted too.
        pad_id: Integer, the id written after the end. Defaults to `0`.
        return_cache: Boolean, whether to also return the final cache.
            Defaults to `False`.

    Returns:
        A tuple `(token_ids, scores)`: int32 tensor of shape
        `(batch_size, max_length)` and float32 tensor of shape
        `(batch_size,)`, the sum of the model's log-probabilities of the
        generated tokens. With `return_cache=True`, the final cache is the
        third element; entries a step wrote after a row ended are unspecified.

    Example:

    >>> from keras import ops
    >>> from kerasseq.samplers import Sampler
    >>> class LowestIdSampler(Sampler):
    ...     # Picks the smallest id the model allows (padding never is).
    ...     def get_next_token(self, logits, index, seed):
    ...         allowed = ops.cast(ops.isfinite(logits), "int32")
    ...         return ops.argmax(allowed, axis=-1)
    >>> # Ids: 0 [PAD], 1 [START], 2 [END], 3 "a"; "a" never follows "a".
    >>> table = ops.log(ops.convert_to_tensor([
    ...     [0.2, 0.2, 0.3, 0.3],
    ...     [0.0, 0.0, 0.0, 1.0],
    ...     [0.0, 0.0, 0.5, 0.5],
    ...     [0.0, 0.0, 1.0, 0.0]]))
    >>> def next(ids, cache, index):
    ...     return ops.take(table, ids, axis=0), cache
    >>> token_ids, scores = LowestIdSampler()(
    ...     next, start_ids=[1, 3], cache={}, end_id=2, max_length=3)
    >>> ops.convert_to_numpy(token_ids)
    array([[3, 2, 0],
           [2, 0, 0]], dtype=int32)
    >>> ops.convert_to_numpy(scores)
    array([0., 0.], dtype=float32)
    """

    def get_next_token(self, logits, index, seed):
        """Chooses the next ids (int32, `(batch_size,)`) from masked logits.

        Args:
            logits: Float32 tensor `(batch_size, vocabulary_size)`, with the
                padding id at `-inf`.
            index: Int32 scalar tensor, the step.
            seed: The per-call seed from `call_seed`, or `None`.
        """
        raise NotImplementedError(
            f"{self.__class__.__name__} must implement `get_next_token`."
        )

    def call_seed(self):
        """Returns the seed of one call (a tensor), or `None` if deterministic."""
        return None

    def __call__(
        self,
        next,
        start_ids,
        cache,
        end_id,
        max_length,
        pad_id=0,
        return_cache=False,
    ):
        max_length = check_max_length(max_length)
        start_ids = ops.cast(ops.convert_to_tensor(start_ids), "int32")
        batch_size = ops.shape(start_ids)[0]
        seed = self.call_seed()

        def cond(index, ids, token_ids, scores, finished, cache):
            return ops.logical_and(
                ops.less(index, max_length), ops.logical_not(ops.all(finished))
            )

        def body(index, ids, token_ids, scores, finished, cache):
            logits, cache = next(ids, cache, index)
            log_probs = masked_log_softmax(logits, pad_id)
            tokens = ops.cast(self.get_next_token(log_probs, index, seed), "int32")
            step_scores = ops.take_along_axis(log_probs, tokens[:, None], axis=1)
            # Ended rows emit padding and keep their score.
            tokens = ops.where(finished, pad_id, tokens)
            scores = ops.where(finished, scores, scores + step_scores[:, 0])
            token_ids = write_at(token_ids, index, tokens[:, None])
            finished = ops.logical_or(finished, ops.equal(tokens, end_id))
            return index + 1, tokens, token_ids, scores, finished, cache

        loop_vars = (
            ops.convert_to_tensor(0, "int32"),
            start_ids,
            ops.full((batch_size, max_length), pad_id, dtype="int32"),
            ops.zeros((batch_size,), "float32"),
            ops.zeros((batch_size,), "bool"),
            cache,
        )
        _, _, token_ids, scores, _, cache = ops.while_loop(cond, body, loop_vars)
        if return_cache:
            return token_ids, scores, cache
        return token_ids, scores

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
