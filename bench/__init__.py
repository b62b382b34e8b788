"""`make bench`: speed, memory and start-up of Klimawissen next to plain llama-index, in one run.

`python -m bench.run` composes the sections (one module each) and writes docs/benchmarks.{md,json}.
Everything here only measures: it calls the product through its public pieces (service, pipeline,
store, keyword index, CLI) and never changes them.
"""
