"""The benchmark suite: `attentive bench` or `python -m bench.run` writes BENCHMARKS.md."""
