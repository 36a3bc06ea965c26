"""Task models: functional Keras models from preprocessed inputs to outputs."""

from kerasseq.models.text_classifier_model import TextClassifierModel
from kerasseq.models.translator_model import TranslatorModel

__all__ = ["TextClassifierModel", "TranslatorModel"]
