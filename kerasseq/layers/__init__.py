"""Custom Keras layers: gated recurrent cells, the sequence layer and attention."""
