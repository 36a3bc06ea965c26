"""kerasseq: recurrent sequence models for Keras 3 on TensorFlow.

Importing the package changes no global setting. It only checks that Keras
runs on the TensorFlow backend, which kerasseq needs for its string handling,
its tf.data pipelines and its SavedModel exports.
"""

import keras

from kerasseq.version import __version__

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "kerasseq needs the TensorFlow backend of Keras, but Keras is running "
        f"on backend={keras.backend.backend()!r}. Set the environment variable "
        "KERAS_BACKEND=tensorflow before importing keras (or edit "
        "~/.keras/keras.json) and start Python again."
    )

from kerasseq import data  # noqa: E402
from kerasseq import embeddings  # noqa: E402
from kerasseq import layers  # noqa: E402
from kerasseq import models  # noqa: E402
from kerasseq import pipelines  # noqa: E402
from kerasseq import preprocessors  # noqa: E402
from kerasseq import samplers  # noqa: E402
from kerasseq import tokenizers  # noqa: E402

__all__ = [
    "__version__",
    "data",
    "embeddings",
    "layers",
    "models",
    "pipelines",
    "preprocessors",
    "samplers",
    "tokenizers",
]
