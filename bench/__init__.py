"""The benchmark suite, checkout-only: `make bench` or `python -m bench.run` writes BENCHMARKS.md.

``DATA`` holds the labelled sets the benchmarks measure on (routing, conversations, questions, absent
concepts); the tests check the same sets, reading them from here (bench keeps its own data).
"""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
