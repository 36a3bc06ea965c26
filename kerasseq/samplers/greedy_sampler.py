"""Greedy decoding: the most likely token at every step."""

import keras
from keras import ops

from kerasseq.samplers.sampler import Sampler


@keras.saving.register_keras_serializable(package="kerasseq")
class GreedySampler(Sampler):
    """Greedy search: takes the highest-scoring next token at every step.

    At each step every row continues with `argmax(logits)`; the score of a
    sequence is the sum of the log-probabilities of its tokens (the `[END]`
    id included). The whole loop runs in the graph (see
    `kerasseq.samplers.Sampler` for the call arguments and the contract of
    the step function `next`).

    Call arguments:
        next: Step function `next(ids, cache, index) -> (logits, cache)`.
        start_ids: Integer tensor of shape `(batch_size,)`.
        cache: Nested structure of tensors with the batch as first axis.
        end_id: Integer, the id that ends a sequence.
        max_length: Positive integer, the most tokens to generate.
        pad_id: Integer written after the end. Defaults to `0`.
        return_cache: Boolean, whether to also return the final cache.

    Returns:
        `(token_ids, scores)`: int32 `(batch_size, max_length)` right-padded
        with `pad_id` after `end_id`, and float32 `(batch_size,)` sums of
        log-probabilities (plus the final cache if `return_cache=True`).

    Example:

    >>> from keras import ops
    >>> from kerasseq.samplers import GreedySampler
    >>> # Ids: 0 [PAD], 1 [START], 2 [END], 3 "a". Row i: logits after id i.
    >>> table = ops.log(ops.convert_to_tensor([
    ...     [0.1, 0.1, 0.4, 0.4],
    ...     [0.0, 0.0, 0.1, 0.9],
    ...     [0.0, 0.0, 0.5, 0.5],
    ...     [0.0, 0.0, 0.6, 0.4]]))
    >>> def next(ids, cache, index):
    ...     return ops.take(table, ids, axis=0), cache
    >>> token_ids, scores = GreedySampler()(
    ...     next, start_ids=[1, 3], cache={}, end_id=2, max_length=4)
    >>> ops.convert_to_numpy(token_ids)
    array([[3, 2, 0, 0],
           [2, 0, 0, 0]], dtype=int32)
    >>> np.round(np.exp(ops.convert_to_numpy(scores)), 2)
    array([0.54, 0.6 ], dtype=float32)
    """

    def get_next_token(self, logits, index, seed):
        return ops.argmax(logits, axis=-1)
