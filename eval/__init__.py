"""Measurement: the golden question set and (later) the retrieval and answer evaluations."""
