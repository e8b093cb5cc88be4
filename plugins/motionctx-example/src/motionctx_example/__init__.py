"""An example motionctx plugin: one composer and one text guider."""
