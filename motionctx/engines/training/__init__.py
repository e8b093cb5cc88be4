"""Training engine: manifests, the ``prepare`` cache, batches, the accelerate loop, checkpoints.

Modules (import what you need; this package itself imports nothing heavy):

- :mod:`.manifest`: JSONL manifests and ``motionctx data check``
- :mod:`.cache`, :mod:`.prepare`: the content-addressed cache and the ``prepare`` engine
- :mod:`.data`: deterministic batches (clip windows, buckets, motion, composites)
- :mod:`.model`, :mod:`.loop`, :mod:`.checkpoint`, :mod:`.ema`, :mod:`.guards`, :mod:`.metrics`,
  :mod:`.validation`: the ``train`` engine
- :mod:`.options`: the stages' recipe parameters
"""
