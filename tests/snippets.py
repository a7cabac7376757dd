"""Sybil parsers for the notes: ```pycon doctests and skips that must say why."""

from __future__ import annotations

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract import AbstractCodeBlockParser, DocTestStringParser
from sybil.parsers.markdown import SkipParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

FLAGS = ELLIPSIS | NORMALIZE_WHITESPACE


class PyconParser(AbstractCodeBlockParser):
    """```pycon fences: each `>>>` statement of the block is one doctest example."""

    language = "pycon"

    def __init__(self, optionflags: int = FLAGS) -> None:
        super().__init__(
            [FencedCodeBlockLexer("pycon", {"language": "arguments", "source": "source"})]
        )
        self.doctests = DocTestStringParser(DocTestEvaluator(optionflags))

    def __call__(self, document):
        for block in super().__call__(document):
            source = block.parsed
            for example in self.doctests(source, document.path):
                example.adjust(block, source)
                yield example


class ReasonedSkipParser(SkipParser):
    """Sybil's skip directive, but `skip: next` / `skip: start` must say why."""

    def __call__(self, document):
        for region in super().__call__(document):
            action, reason = region.parsed
            if action in ("next", "start") and not (reason and reason.strip()):
                line = document.text.count("\n", 0, region.start) + 1
                raise ValueError(
                    f"{document.path}:{line}: '<!-- skip: {action} -->' needs a reason on the "
                    f'same line, e.g. <!-- skip: {action} "draws a plot window" -->'
                )
            yield region
