"""``lanterna.nn.utils``: gradient clipping and parameter/vector conversion."""

from .clip_grad import (  # noqa: F401
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401

try:  # recurrent helpers (pack_padded_sequence ...) live in utils/rnn.py when present
    from . import rnn  # noqa: F401
except ImportError:
    pass
