"""seqnotes: the code behind the bilingual lecture notes on sequence models.

Read a model in :mod:`seqnotes.scratch` (NumPy, hand-written backward passes),
then train the same model from :mod:`seqnotes.nn` (PyTorch, state-dict
compatible with ``torch.nn``).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
