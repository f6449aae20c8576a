"""PolNeAR articles parsed once by the product's pipeline and kept as spaCy DocBins.

Parsing the 840 training articles takes minutes on this machine; features change far more often
than the parse. The cache lives outside the repository (the texts are internal data) and is keyed
by split and model, so a model upgrade re-parses.
"""

from __future__ import annotations

import os
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from bench.eval.common import PolnearArticle, load_polnear

CACHE_DIR = Path(os.environ.get("DIPLOBRIEF_PARSE_CACHE", "/tmp/diplobrief-parse-cache"))


def _cache_file(nlp: Language, split: str) -> Path:
    meta = nlp.meta
    return CACHE_DIR / f"polnear-{split}-{meta.get('name')}-{meta.get('version')}.spacy"


def parsed_polnear(
    nlp: Language, split: str, *, use_cache: bool = True
) -> list[tuple[PolnearArticle, Doc]]:
    """Every article of a split with its parse, read from the cache when it is there."""
    articles = load_polnear(split)
    path = _cache_file(nlp, split)
    if use_cache and path.exists():
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        if len(docs) == len(articles) and all(
            d.text == a.text for d, a in zip(docs, articles, strict=True)
        ):
            return list(zip(articles, docs, strict=True))
    docs = list(nlp.pipe(a.text for a in articles))
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=docs).to_disk(path)
    return list(zip(articles, docs, strict=True))
