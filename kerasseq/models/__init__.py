"""Task models: functional Keras models from preprocessed inputs to outputs."""

from kerasseq.models.text_classifier_model import TextClassifierModel

__all__ = ["TextClassifierModel"]
