"""Import PyTorch, or fail with an install hint instead of a bare "No module named 'torch'".

``seqnotes.scratch`` and ``seqnotes.data`` need NumPy only; ``seqnotes.nn``
imports this module first.
"""

try:
    import torch  # noqa: F401
except ImportError as err:
    raise ImportError(
        'seqnotes.nn needs PyTorch, which is not installed: pip install "seqnotes[torch]"'
    ) from err
