"""Custom Keras layers: gated recurrent cells, the sequence layer and attention."""

from kerasseq.layers.attention_decoder import AttentionDecoder
from kerasseq.layers.attention_pooling import AttentionPooling
from kerasseq.layers.bahdanau_attention import BahdanauAttention
from kerasseq.layers.base_attention import BaseAttention
from kerasseq.layers.gru import GRU
from kerasseq.layers.gru_cell import GRUCell
from kerasseq.layers.lstm import LSTM
from kerasseq.layers.lstm_cell import LSTMCell
from kerasseq.layers.luong_attention import LuongAttention
from kerasseq.layers.pretrained_embedding import PretrainedEmbedding
from kerasseq.layers.recurrent import Recurrent
from kerasseq.layers.recurrent_cell import RecurrentCell
from kerasseq.layers.rnn_encoder import RNNEncoder
from kerasseq.layers.simple_rnn import SimpleRNN
from kerasseq.layers.simple_rnn_cell import SimpleRNNCell

__all__ = [
    "AttentionDecoder",
    "AttentionPooling",
    "BahdanauAttention",
    "BaseAttention",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "LuongAttention",
    "PretrainedEmbedding",
    "Recurrent",
    "RecurrentCell",
    "RNNEncoder",
    "SimpleRNN",
    "SimpleRNNCell",
]
