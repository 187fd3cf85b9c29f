"""The learned intent model: logistic regression over MiniLM vectors and the request's own words.

The labelled phrases come from the registry (every tool's examples) and from the conversational
intents (small talk, capabilities); nothing is hand-weighted. Two views of a message go in:
- its MiniLM vector, which knows that "visualise" and "plot" mean much the same;
- tf-idf of its words and word pairs, which keeps the verb that decides the intent ("write a poem
  about painting" is a writing request, whatever its nouns say) from being outvoted by the topic.
The payload is masked before either view is taken, quoted passages and what follows an opening
"label:": a sentence to run a demo on says that there *is* a sentence, not what is wanted ("Say 'draw
a cat' out loud" is speech, not a picture; "Read this aloud: neural nets learn" is speech, not notes).

Logistic regression gives probabilities that are close to calibrated on held-out phrases (checked
with ``bench/bench_intents.py``), which is what the router's "ask when unsure" margin needs.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import logging
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tools.arguments import label_and_payload, mask_quoted

Embed = Callable[[list[str]], np.ndarray]
log = logging.getLogger(__name__)

# Chosen by 5-fold cross-validation over the registry's 338 phrases (bench/bench_intents.py --grid):
# the word view at the vector view's weight scored 0.867 held out (0.6: 0.852, 1.5: 0.843), and on the
# conversation set 98/98 (0.6: 95/98); writing requests about a demo's topic went to the demo at 0.6.
WORD_VIEW_WEIGHT = 1.0
REGULARISATION_C = 10.0
QUOTE_MARK = ' "QUOTED" '
START = "xxstart"  # marks the opening word: "paint ..." is a request to paint, "... a painting" is a topic
# An instruction before a colon is short ("Generate speech for this text:"); a question before one is not.
INSTRUCTION_WORDS = 8


def mask_payload(text: str) -> str:
    """The message with its payload replaced by one marker word: quoted passages, and what follows an
    opening instruction and a colon ("read this aloud: neural nets learn from data"), whose words are
    the thing to work on, not a request."""
    masked = mask_quoted(text, QUOTE_MARK)
    labelled = label_and_payload(masked)
    if labelled and len(labelled[0].split()) <= INSTRUCTION_WORDS and len(labelled[1].split()) >= 3:
        return f"{labelled[0]}:{QUOTE_MARK}"
    return masked


def _words_view(masked: str) -> str:
    return f"{START} {masked}"


@dataclass(frozen=True)
class LabelledPhrase:
    text: str
    label: str
    weight: float = 1.0


def _fit(features: np.ndarray, labels: list[str], weights: list[float]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
    # One BLAS thread: the problem is small (300 x 2000), and on 2 busy cores a threaded fit took
    # 5.4 s instead of 0.1 s (threads waiting on each other at every one of ~30 L-BFGS steps).
    with threadpool_limits(1):
        model.fit(features, labels, sample_weight=weights)
    return model


class IntentModel:
    """A multinomial logistic regression over [MiniLM vector, weighted tf-idf words].

    It keeps its training features, so a user's model (the seed phrases plus that user's
    corrections) is one more fit of a few hundred rows, with no phrase embedded twice.
    """

    def __init__(self, embed: Embed, phrases: Sequence[LabelledPhrase]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if len({p.label for p in phrases}) < 2:
            raise ValueError("an intent model needs phrases of at least two intents")
        self._embed = embed
        texts = [mask_payload(p.text) for p in phrases]
        self._words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w[\w']*\b", lowercase=True
        ).fit([_words_view(t) for t in texts])
        self._train = (self._features(texts), [p.label for p in phrases], [p.weight for p in phrases])
        self._model = _fit(*self._train)
        self.labels: list[str] = [str(label) for label in self._model.classes_]

    @classmethod
    def cached(cls, embed: Embed, phrases: Sequence[LabelledPhrase], folder: Path | None) -> IntentModel:
        """The model for these phrases, fitted once per machine and kept in the model cache.

        Embedding 300 phrases and fitting took 1 to 3 s of every start; loading the fitted model
        takes a few milliseconds (plus importing scikit-learn). The key covers the phrases, the
        code that turns phrases into features and the scikit-learn version, so any change refits.
        """
        if folder is None:
            return cls(embed, phrases)
        import sklearn

        recipe = [[p.text, p.label, p.weight] for p in phrases]
        # How phrases become features: this module and the argument reader whose masking it uses.
        sources = (Path(__file__), Path(inspect.getfile(label_and_payload)))
        code = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
        recipe += [[code, sklearn.__version__]]
        key = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:20]
        path = Path(folder) / f"intent-model-{key}.pickle"
        if path.is_file():
            try:
                model: IntentModel = pickle.loads(path.read_bytes())  # our own file in the model cache
                model._embed = embed
                return model
            except Exception as exc:  # a damaged or foreign file is refitted, never trusted
                log.warning("refitting the intent model: %s could not be loaded (%s)", path, exc)
        model = cls(embed, phrases)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        staging.write_bytes(pickle.dumps(model))
        os.replace(staging, path)
        for old in path.parent.glob("intent-model-*.pickle"):  # fits of other phrases are never read again
            if old != path:
                old.unlink(missing_ok=True)
        return model

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_embed"}

    def with_phrases(self, extra: Sequence[LabelledPhrase]) -> IntentModel:
        """This model refitted with ``extra`` phrases added (a user's corrections), same word view."""
        grown = copy.copy(self)  # the copy goes through __getstate__, which leaves the embedder out
        grown._embed = self._embed
        texts = [mask_payload(p.text) for p in extra]
        features, labels, weights = self._train
        grown._train = (
            np.vstack([features, self._features(texts)]),
            labels + [p.label for p in extra],
            weights + [p.weight for p in extra],
        )
        grown._model = _fit(*grown._train)
        return grown

    def _features(self, masked: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        dense = self._embed(masked) if vectors is None else vectors
        words = self._words.transform([_words_view(t) for t in masked]).toarray().astype(np.float32)
        return np.hstack([dense, words * WORD_VIEW_WEIGHT])

    def vector(self, text: str) -> np.ndarray:
        """The MiniLM vector of the masked message (the router reuses it for learned phrases)."""
        return self._embed([mask_payload(text)])[0]

    def probabilities(self, text: str, vector: np.ndarray | None = None) -> dict[str, float]:
        """Every intent's probability for ``text``; they sum to one."""
        masked = mask_payload(text)
        features = self._features([masked], None if vector is None else vector[None, :])
        return dict(zip(self.labels, (float(p) for p in self._model.predict_proba(features)[0]), strict=True))

    def best_of_each(self, texts: list[str]) -> list[tuple[str, float]]:
        """The most likely intent of each text and its probability, in one embedding batch."""
        rows = self._model.predict_proba(self._features([mask_payload(t) for t in texts]))
        return [(self.labels[int(np.argmax(row))], float(np.max(row))) for row in rows]
