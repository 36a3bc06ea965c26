"""The embedded demo: a small attention model learns a task on generated data.

The task, "find the key": each sequence holds random digits and one marker
`#`; the label is the digit right after the marker. A bag of words cannot solve
it: the model has to read order, so it shows the recurrent layers and the
attention pooling doing their job. It needs no download and runs in seconds.
"""

import time

import keras
import numpy as np

from kerasseq import layers

MARKER = 10  # token id of "#"; digits 1..9 are their own ids, 0 is padding
_VOCABULARY = ["[PAD]", "1", "2", "3", "4", "5", "6", "7", "8", "9", "#"]


def make_key_data(num_examples, min_length=6, max_length=20, seed=0):
    """Generates right-padded `(token_ids, labels)` for the "find the key" task.

    Args:
        num_examples: Number of sequences.
        min_length: Shortest sequence, at least 2 (a marker and its digit).
        max_length: Longest sequence; the padded width.
        seed: Seed of the NumPy generator.

    Returns:
        `token_ids` int32 `(num_examples, max_length)` (0 = padding) and
        `labels` int32 `(num_examples,)`, the digit after the marker.
    """
    if not 2 <= min_length <= max_length:
        raise ValueError(
            "Need 2 <= min_length <= max_length, received: "
            f"min_length={min_length}, max_length={max_length}"
        )
    rng = np.random.default_rng(seed)
    token_ids = np.zeros((num_examples, max_length), dtype="int32")
    labels = np.zeros((num_examples,), dtype="int32")
    for row in range(num_examples):
        length = rng.integers(min_length, max_length + 1)
        digits = rng.integers(1, 10, size=length)
        position = rng.integers(0, length - 1)
        digits[position] = MARKER
        token_ids[row, :length] = digits
        labels[row] = digits[position + 1]
    return token_ids, labels


def build_model(cell="gru", units=32, embedding_dim=16):
    """Embedding → bidirectional recurrent layer → attention pooling → softmax."""
    from kerasseq import registry

    recurrent_class = registry.get_recurrent_layer_class(cell)
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(len(_VOCABULARY), embedding_dim, mask_zero=True)(
        token_ids
    )
    x = keras.layers.Bidirectional(recurrent_class(units, return_sequences=True))(x)
    pooled, weights = layers.AttentionPooling(name="attention_pooling")(
        x, return_attention_scores=True
    )
    probabilities = keras.layers.Dense(10, activation="softmax")(pooled)
    return keras.Model(token_ids, [probabilities, weights], name="find_the_key")


def run(seconds=20.0, cell="gru", seed=0, verbose=True):
    """Trains the demo model for at most `seconds`, prints what it learned.

    Training stops early once the training accuracy passes 0.995.

    Returns:
        A dict with the held-out `accuracy`, the `epochs` run and the
        wall-clock `seconds` spent training.
    """
    keras.utils.set_random_seed(seed)
    x_train, y_train = make_key_data(8000, seed=seed)
    x_test, y_test = make_key_data(1000, seed=seed + 1)
    model = build_model(cell)
    trainer = keras.Model(model.input, model.output[0])
    trainer.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    say = print if verbose else (lambda *args, **kwargs: None)
    say(
        f"Task: the digit after '#' in sequences of 6-20 random digits. "
        f"Model: Embedding → Bidirectional({cell.upper()}) → AttentionPooling → "
        f"Dense; training for up to {seconds:.0f} s on 8,000 generated sequences."
    )
    start, epochs, train_accuracy = time.perf_counter(), 0, 0.0
    while time.perf_counter() - start < seconds and train_accuracy < 0.995:
        history = trainer.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
        epochs += 1
        train_accuracy = history.history["accuracy"][-1]
        say(
            f"  epoch {epochs}: loss {history.history['loss'][-1]:.3f}, "
            f"accuracy {history.history['accuracy'][-1]:.3f}"
        )
    elapsed = time.perf_counter() - start
    _, accuracy = trainer.evaluate(x_test, y_test, verbose=0)
    say(f"Held-out accuracy: {accuracy:.3f} (chance: 0.111) after {elapsed:.0f} s.")

    example = x_test[:1]
    probabilities, weights = model.predict(example, verbose=0)
    length = int(np.count_nonzero(example))
    tokens = [_VOCABULARY[i] for i in example[0, :length]]
    say(
        f"Example: {' '.join(tokens)} → predicted "
        f"{int(np.argmax(probabilities[0]))}, true {y_test[0]}."
    )
    say("Where the attention pooling looked (weight per token):")
    for token, weight in zip(tokens, weights[0, :length]):
        say(f"  {token:>2} {'#' * int(round(60 * float(weight)))} {weight:.2f}")
    return {"accuracy": float(accuracy), "epochs": epochs, "seconds": elapsed}
