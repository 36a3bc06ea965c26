"""Beam search with a GNMT length penalty and n-best results."""

import numbers

import keras
from keras import ops
from keras import tree

from kerasseq import validation
from kerasseq.samplers.sampler import Sampler
from kerasseq.samplers.sampler import check_max_length
from kerasseq.samplers.sampler import masked_log_softmax
from kerasseq.samplers.sampler import write_at


def length_penalty_factor(lengths, alpha):
    """GNMT's length normaliser `((5 + length) / 6) ** alpha`."""
    return ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, alpha)


@keras.saving.register_keras_serializable(package="kerasseq")
class BeamSampler(Sampler):
    """Beam search: keeps the `beam_width` best hypotheses at every step.

    Each batch row carries `beam_width` hypotheses (beams), flattened into
    the batch axis of the step function, which is therefore called with
    `batch_size * beam_width` rows (row `b * beam_width + k` is beam `k` of
    example `b`). Every cache tensor is tiled by beam before the loop and
    reordered after each step, so that it follows the beam it belongs to.
    Tensors that no step changes (encoder outputs, their mask) may stay out
    of the cache: a step function that closes over them tiled the same way,
    `keras.ops.repeat(x, beam_width, axis=0)`, saves their reordering.

    At each step, every live beam proposes all its one-token extensions,
    scored by the sum of the log-probabilities of their tokens; a beam that
    has emitted `end_id` proposes only itself (extended with `pad_id`, score
    unchanged), so finished hypotheses compete with live ones but are never
    extended. The `beam_width` best candidates become the new beams. With
    `length_penalty=alpha > 0` candidates are ranked by
    `log_prob / ((5 + length) / 6) ** alpha` (Wu et al., 2016), where
    `length` counts the generated tokens, `[END]` included. The loop stops
    after `max_length` tokens or once every beam of every row has ended.

    Args:
        beam_width: Positive integer, the number of beams. Defaults to `4`.
            `beam_width=1` is greedy search.
        length_penalty: Non-negative float, GNMT's `alpha`; `0.0` ranks by
            the plain sum of log-probabilities. Defaults to `0.0`.
        num_results: Positive integer, at most `beam_width`: how many of the
            best hypotheses to return per row. Defaults to `1`.

    Call arguments:
        next: Step function `next(ids, cache, index) -> (logits, cache)`
            (see `kerasseq.samplers.Sampler`); called on
            `batch_size * beam_width` rows.
        start_ids: Integer tensor of shape `(batch_size,)`.
        cache: Nested structure of tensors with the batch as first axis,
            of any rank.
        end_id: Integer, the id that ends a sequence.
        max_length: Positive integer, the most tokens to generate.
        pad_id: Integer written after the end, never generated. Defaults
            to `0`.
        return_cache: Boolean, whether to also return the final cache of the
            returned hypotheses. Defaults to `False`.

    Returns:
        With `num_results=1`: `(token_ids, scores)`, int32
        `(batch_size, max_length)` and float32 `(batch_size,)`, the best
        hypothesis of each row. With `num_results > 1`: int32
        `(batch_size, num_results, max_length)` and float32
        `(batch_size, num_results)`, distinct hypotheses sorted by score,
        best first. Scores are the ranking scores (length-normalised when
        `length_penalty > 0`). When a row has fewer possible hypotheses than
        requested, the missing ones are all `pad_id` with score `-inf`. With
        `return_cache=True` the final cache follows, each tensor shaped
        `(batch_size, ...)` or `(batch_size, num_results, ...)` likewise.

    Example:

    >>> from keras import ops
    >>> from kerasseq.samplers import BeamSampler
    >>> # Ids: 0 [PAD], 1 [START], 2 [END], 3 "a". Row i: logits after id i.
    >>> table = ops.log(ops.convert_to_tensor([
    ...     [0.1, 0.1, 0.4, 0.4],
    ...     [0.0, 0.0, 0.4, 0.6],
    ...     [0.0, 0.0, 0.5, 0.5],
    ...     [0.0, 0.0, 0.9, 0.1]]))
    >>> def next(ids, cache, index):
    ...     return ops.take(table, ids, axis=0), cache
    >>> sampler = BeamSampler(beam_width=3, num_results=2)
    >>> token_ids, scores = sampler(
    ...     next, start_ids=[1], cache={}, end_id=2, max_length=3)
    >>> ops.convert_to_numpy(token_ids)
    array([[[3, 2, 0],
            [2, 0, 0]]], dtype=int32)
    >>> np.round(np.exp(ops.convert_to_numpy(scores)), 2)
    array([[0.54, 0.4 ]], dtype=float32)

    Reference:
        - [Wu et al., 2016. Google's Neural Machine Translation System
          ](https://arxiv.org/abs/1609.08144) (the length penalty)
    """

    def __init__(self, beam_width=4, length_penalty=0.0, num_results=1):
        beam_width = validation.check_positive_int("beam_width", beam_width)
        num_results = validation.check_positive_int("num_results", num_results)
        if num_results > beam_width:
            raise ValueError(
                "`num_results` must be at most `beam_width` "
                f"({beam_width}), received: num_results={num_results!r}"
            )
        if (
            isinstance(length_penalty, bool)
            or not isinstance(length_penalty, numbers.Real)
            or not length_penalty >= 0.0
        ):
            raise ValueError(
                "`length_penalty` must be a non-negative float, "
                f"received: length_penalty={length_penalty!r}"
            )
        self.beam_width = beam_width
        self.length_penalty = float(length_penalty)
        self.num_results = num_results

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
        width = self.beam_width
        alpha = self.length_penalty
        start_ids = ops.cast(ops.convert_to_tensor(start_ids), "int32")
        batch_size = ops.shape(start_ids)[0]
        # Beam k of example b lives in row b * width + k of the step function.
        offsets = ops.arange(batch_size, dtype="int32")[:, None] * width

        def tile(x):
            return ops.repeat(x, width, axis=0)

        def rank(scores, lengths):
            if alpha == 0.0:
                return scores
            return scores / length_penalty_factor(lengths, alpha)

        def cond(index, ids, token_ids, scores, lengths, finished, cache):
            return ops.logical_and(
                ops.less(index, max_length), ops.logical_not(ops.all(finished))
            )

        def body(index, ids, token_ids, scores, lengths, finished, cache):
            logits, cache = next(ids, cache, index)
            log_probs = masked_log_softmax(logits, pad_id)
            log_probs = ops.reshape(log_probs, (batch_size, width, -1))
            # Only a beam's `width` best tokens can be among the best overall
            # (all its candidates have one length), so rank those alone.
            vocabulary_size = log_probs.shape[-1]
            if vocabulary_size is None:
                k = ops.minimum(width, ops.shape(log_probs)[-1])
            else:
                k = min(width, vocabulary_size)
            top_log_probs, top_tokens = ops.top_k(log_probs, k)
            top_tokens = ops.cast(top_tokens, "int32")
            # Candidates (batch, width, k): live beams extend by a token;
            # a finished beam only by padding, at no cost (its first slot).
            first_slot = ops.equal(ops.arange(k, dtype="int32"), 0)
            candidates = ops.where(
                finished[:, :, None],
                ops.where(first_slot, scores[:, :, None], float("-inf")),
                scores[:, :, None] + top_log_probs,
            )
            candidate_tokens = ops.where(finished[:, :, None], pad_id, top_tokens)
            candidate_lengths = ops.where(finished, lengths, index + 1)
            ranking = rank(candidates, candidate_lengths[:, :, None])
            _, best = ops.top_k(ops.reshape(ranking, (batch_size, -1)), width)
            best = ops.cast(best, "int32")
            parents = best // k
            tokens = ops.take_along_axis(
                ops.reshape(candidate_tokens, (batch_size, -1)), best, axis=1
            )
            scores = ops.take_along_axis(
                ops.reshape(candidates, (batch_size, -1)), best, axis=1
            )
            parent_finished = ops.take_along_axis(finished, parents, axis=1)
            lengths = ops.where(
                parent_finished,
                ops.take_along_axis(lengths, parents, axis=1),
                index + 1,
            )
            token_ids = ops.take_along_axis(token_ids, parents[:, :, None], axis=1)
            token_ids = write_at(token_ids, index, tokens[:, :, None])
            # A candidate at -inf is no hypothesis: it ends at once.
            finished = ops.logical_or(
                ops.logical_or(parent_finished, ops.equal(tokens, end_id)),
                ops.equal(scores, float("-inf")),
            )
            # Every cache tensor follows its beam: rows of the parents.
            rows = ops.reshape(parents + offsets, (-1,))
            cache = tree.map_structure(lambda x: ops.take(x, rows, axis=0), cache)
            ids = ops.reshape(tokens, (-1,))
            return index + 1, ids, token_ids, scores, lengths, finished, cache

        # Only beam 0 is alive at first; the others are empty (score -inf).
        first_beam = ops.equal(ops.arange(width, dtype="int32"), 0)
        initial_scores = ops.where(first_beam, 0.0, float("-inf"))
        loop_vars = (
            ops.convert_to_tensor(0, "int32"),
            tile(start_ids),
            ops.full((batch_size, width, max_length), pad_id, dtype="int32"),
            ops.broadcast_to(initial_scores, (batch_size, width)),
            ops.zeros((batch_size, width), "int32"),
            ops.broadcast_to(ops.logical_not(first_beam), (batch_size, width)),
            tree.map_structure(tile, cache),
        )
        outputs = ops.while_loop(cond, body, loop_vars)
        _, _, token_ids, scores, lengths, _, cache = outputs

        # Beams are sorted by the last step's ranking: keep the first ones.
        count = self.num_results
        scores = rank(scores, lengths)[:, :count]
        empty = ops.equal(scores, float("-inf"))[:, :, None]
        token_ids = ops.where(empty, pad_id, token_ids[:, :count])
        if count == 1:
            token_ids, scores = token_ids[:, 0], scores[:, 0]

        def select(x):
            x = ops.reshape(x, (batch_size, width, *ops.shape(x)[1:]))
            return x[:, 0] if count == 1 else x[:, :count]

        if return_cache:
            return token_ids, scores, tree.map_structure(select, cache)
        return token_ids, scores

    def get_config(self):
        return {
            "beam_width": self.beam_width,
            "length_penalty": self.length_penalty,
            "num_results": self.num_results,
        }
