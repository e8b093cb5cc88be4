"""Training engine: manifests, the ``prepare`` cache, batches, the accelerate loop, checkpoints.

Modules (import what you need; this package itself imports nothing heavy):

- :mod:`.manifest`: JSONL manifests and ``motionctx data check``; :mod:`.video`: probing,
  seeking window reads and chunked decoding
- :mod:`.cache`, :mod:`.prepare`: the content-addressed cache and the ``prepare`` engine
- :mod:`.data`: deterministic batches (clip windows, buckets, motion, composites)
- :mod:`.model`, :mod:`.loop`, :mod:`.checkpoint`, :mod:`.ema`, :mod:`.guards`, :mod:`.metrics`,
  :mod:`.validation`, :mod:`.distributed`: the ``train`` engine
- :mod:`.options`: the stages' recipe parameters (pydantic, no torch)

See docs/training.md.
"""
