"""PyTorch modules whose state dicts load into (and from) their ``torch.nn`` namesakes.

Every layer is written from matmuls, elementwise ops and softmax, so the
equations of the notes are visible in ``forward``; the tests check outputs and
gradients against ``torch.nn`` to 1e-10 in float64.

>>> from seqnotes.nn import LSTM
>>> import torch
>>> sorted(LSTM(4, 3).state_dict()) == sorted(torch.nn.LSTM(4, 3).state_dict())
True
"""

import seqnotes._torch  # noqa: F401  (first: where PyTorch is missing, say how to install it)
from seqnotes.nn.attention import (
    MultiheadAttention,
    causal_mask,
    generate_square_subsequent_mask,
    scaled_dot_product_attention,
)
from seqnotes.nn.recurrent import GRU, LSTM, RNN
from seqnotes.nn.transformer import (
    PositionalEncoding,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

# --- models (nn/rnn_models.py, nn/transformer_models.py): add their imports here ---
# --- and extend __all__ below with their public names.                          ---
# isort: split
from seqnotes.nn.rnn_models import (
    AdditiveAttention,
    Captioner,
    CharLM,
    RNNDecoder,
    Seq2Seq,
    SequenceRegressor,
    TinyCNN,
)
from seqnotes.nn.transformer_models import DecoderOnlyTransformer, Seq2SeqTransformer, ViT, patchify

__all__ = [
    # recurrent.py
    "RNN",
    "LSTM",
    "GRU",
    # attention.py
    "causal_mask",
    "generate_square_subsequent_mask",
    "scaled_dot_product_attention",
    "MultiheadAttention",
    # transformer.py
    "PositionalEncoding",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    # models: add here
    # rnn_models.py
    "SequenceRegressor",
    "CharLM",
    "AdditiveAttention",
    "RNNDecoder",
    "Seq2Seq",
    "TinyCNN",
    "Captioner",
    # transformer_models.py
    "Seq2SeqTransformer",
    "patchify",
    "ViT",
    "DecoderOnlyTransformer",
]
