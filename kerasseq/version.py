"""The kerasseq version and the TensorFlow range it is tested against."""

__version__ = "0.1.0"
