"""Engines: input preparation, sampling, training, synthesis, evaluation."""
