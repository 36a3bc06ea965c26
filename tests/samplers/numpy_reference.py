"""NumPy references for the sampler tests: toy models, greedy, brute force.

A toy model gives the log-probabilities of the next token from the tokens so
far (`[START]` first). First-order models read a `[vocabulary, vocabulary]`
table (row: last token); second-order ones a `[vocabulary] * 3` table (the
token two back, then the last token; `PAD_ID` before the start).
"""

import itertools

import numpy as np
import tensorflow as tf

PAD_ID = 0
START_ID = 1
END_ID = 2


def random_logits(rng, *shape):
    """Log-probabilities drawn from a flat Dirichlet, no ties in practice."""
    probabilities = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    return np.log(probabilities).astype("float32")


def masked_log_softmax(logits, pad_id=PAD_ID):
    """What the samplers score with: padding removed, then renormalised."""
    logits = np.array(logits, dtype="float64")
    logits[..., pad_id] = -np.inf
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def next_log_probs(table, prefix):
    """Masked log-probabilities after `prefix` (which starts with the start)."""
    if table.ndim == 2:
        return masked_log_softmax(table[prefix[-1]])
    before = prefix[-2] if len(prefix) > 1 else PAD_ID
    return masked_log_softmax(table[before, prefix[-1]])


def first_order_step(table):
    """The step function of a first-order table (cache passed through)."""
    table = tf.constant(table)

    def step(ids, cache, index):
        return tf.gather(table, ids), cache

    return step


def greedy(table, start_id, end_id, max_length):
    """Greedy decode of one row: (tokens padded to max_length, log-prob)."""
    prefix, score = [start_id], 0.0
    while len(prefix) <= max_length:
        log_probs = next_log_probs(table, prefix)
        token = int(np.argmax(log_probs))
        score += log_probs[token]
        prefix.append(token)
        if token == end_id:
            break
    tokens = prefix[1:]
    return tokens + [PAD_ID] * (max_length - len(tokens)), score


def all_hypotheses(table, start_id, end_id, max_length):
    """Every complete hypothesis: ends with `end_id`, or has max_length tokens.

    Returns:
        A list of `(tokens, log_prob)`, tokens unpadded.
    """
    vocabulary_size = table.shape[-1]
    tokens = [t for t in range(vocabulary_size) if t != PAD_ID]
    hypotheses = []
    for length in range(1, max_length + 1):
        for sequence in itertools.product(tokens, repeat=length):
            if end_id in sequence[:-1]:
                continue
            if length < max_length and sequence[-1] != end_id:
                continue
            prefix, score = [start_id], 0.0
            for token in sequence:
                score += next_log_probs(table, prefix)[token]
                prefix.append(token)
            hypotheses.append((list(sequence), score))
    return hypotheses


def gnmt_score(log_prob, length, alpha):
    return log_prob / ((5.0 + length) / 6.0) ** alpha


def brute_force_n_best(table, start_id, end_id, max_length, alpha, count):
    """The `count` best hypotheses by (length-normalised) score.

    Returns:
        `(tokens, scores)`: int array `(count, max_length)` padded with
        `PAD_ID`, float array `(count,)`, best first.
    """
    ranked = sorted(
        (
            (gnmt_score(score, len(tokens), alpha), tokens)
            for tokens, score in all_hypotheses(table, start_id, end_id, max_length)
        ),
        key=lambda pair: -pair[0],
    )[:count]
    tokens = [t + [PAD_ID] * (max_length - len(t)) for _, t in ranked]
    return np.array(tokens), np.array([score for score, _ in ranked])
