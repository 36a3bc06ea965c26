"""`LabelledTexts`: what every text-classification reader returns."""

import dataclasses
from collections.abc import Iterable
from collections.abc import Sequence

import numpy as np
import tensorflow as tf


def sorted_labels(labels: Iterable[str]) -> list[str]:
    """The distinct labels in a stable order: numeric if all are integers.

    Example:

    >>> from kerasseq.data import sorted_labels
    >>> sorted_labels(["pos", "neg", "pos"])
    ['neg', 'pos']
    >>> sorted_labels(["10", "2", "1"])
    ['1', '2', '10']
    """
    distinct = set(labels)
    try:
        return sorted(distinct, key=int)
    except ValueError:
        return sorted(distinct)


@dataclasses.dataclass
class LabelledTexts:
    """Texts with one label each, as the classification readers return them.

    Small enough to keep as Python lists (IMDB's 25,000 reviews are 33 MB);
    `to_dataset` turns them into a `tf.data.Dataset` of `(text, label_id)`,
    the input of `kerasseq.data.make_batches`.

    Attributes:
        texts: List of strings, one per example, as read (no lower-casing,
            no markup removal: IMDB's `<br />` stays for the tokenizer).
        labels: List of strings, one per text, as written in the file (JSON
            numbers become strings), or `None` for unlabelled data.
        label_names: List of the classes; a label's id is its index here.
            Defaults to the distinct labels sorted (numerically when all are
            integers, so `"2"` comes before `"10"`); pass it to readers to fix
            the order, e.g. `label_names=["neg", "pos"]`.
        extras: Dict of other per-text fields a reader kept, each a list as
            long as `texts` (the aclImdb reader's `"id"` and `"rating"`; the
            tabular readers' `extra_columns`). Defaults to `{}`.

    Example:

    >>> from kerasseq.data import LabelledTexts
    >>> data = LabelledTexts(["good film", "dull", "great"], ["pos", "neg", "pos"])
    >>> data.label_names, data.label_ids().tolist()
    (['neg', 'pos'], [1, 0, 1])
    >>> text, label = next(iter(data.to_dataset()))
    >>> text.numpy(), label.numpy()
    (b'good film', np.int32(1))
    """

    texts: list[str]
    labels: list[str] | None = None
    label_names: list[str] | None = None
    extras: dict[str, list] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.texts = list(self.texts)
        if self.labels is not None:
            self.labels = list(self.labels)
            if len(self.labels) != len(self.texts):
                raise ValueError(
                    f"`labels` must have one entry per text, received "
                    f"{len(self.labels)} labels for {len(self.texts)} texts"
                )
        if self.label_names is None:
            if self.labels is not None:
                self.label_names = sorted_labels(self.labels)
        else:
            self.label_names = list(self.label_names)
            if len(set(self.label_names)) != len(self.label_names):
                raise ValueError(
                    "`label_names` must not repeat a name, received: "
                    f"label_names={self.label_names!r}"
                )
            if self.labels is not None:
                unknown = sorted(set(self.labels) - set(self.label_names))
                if unknown:
                    raise ValueError(
                        f"Labels {unknown[:10]!r} are not in `label_names`, "
                        f"received: label_names={self.label_names!r}"
                    )
        self.extras = {name: list(values) for name, values in self.extras.items()}
        for name, values in self.extras.items():
            if len(values) != len(self.texts):
                raise ValueError(
                    f"`extras[{name!r}]` must have one entry per text, received "
                    f"{len(values)} entries for {len(self.texts)} texts"
                )

    def __len__(self) -> int:
        return len(self.texts)

    def label_ids(self) -> np.ndarray:
        """The labels as `int32` indices into `label_names`, shape `(len,)`."""
        if self.labels is None:
            raise ValueError("These texts have no labels (`labels` is None).")
        index = {name: i for i, name in enumerate(self.label_names)}
        return np.array([index[label] for label in self.labels], dtype=np.int32)

    def select(self, indices: Sequence[int] | np.ndarray) -> "LabelledTexts":
        """The examples at `indices` (e.g. a fold or a subset), same classes."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)

        def pick(values):
            return [values[i] for i in indices]

        return LabelledTexts(
            texts=pick(self.texts),
            labels=None if self.labels is None else pick(self.labels),
            label_names=self.label_names,
            extras={name: pick(values) for name, values in self.extras.items()},
        )

    def to_dataset(self, encode_labels: bool = True) -> tf.data.Dataset:
        """A `tf.data.Dataset` of the examples, in order (not shuffled).

        Args:
            encode_labels: Whether labels come as `int32` ids (indices into
                `label_names`) rather than strings. Defaults to `True`.

        Returns:
            A dataset of `(text, label)` pairs of scalar tensors (`tf.string`
            and `tf.int32` or `tf.string`), or of texts alone when `labels`
            is `None`.
        """
        texts = tf.constant(self.texts, dtype=tf.string, shape=[len(self.texts)])
        if self.labels is None:
            return tf.data.Dataset.from_tensor_slices(texts)
        if encode_labels:
            labels = tf.constant(self.label_ids(), dtype=tf.int32)
        else:
            labels = tf.constant(self.labels, dtype=tf.string, shape=[len(self)])
        return tf.data.Dataset.from_tensor_slices((texts, labels))
