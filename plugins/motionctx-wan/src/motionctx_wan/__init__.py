"""Wan video diffusion backbones for motionctx (Wan 2.1 I2V, Wan 2.2 I2V-A14B and TI2V-5B via diffusers).

Importing this package is light: torch and diffusers load only when a backbone loads its weights.
"""

__version__ = "0.1.0"
