"""A picture of report.html as a browser draws it (headless Chromium), for docs and tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from motionctx.errors import InputError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """The path of a Chromium-family browser on PATH, or None."""
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def screenshot(page: str | Path, out: str | Path, width: int = 1280, height: int = 1600, timeout: float = 90) -> Path:
    """Render ``page`` (an HTML file) with headless Chromium into the PNG ``out``."""
    browser = find_browser()
    if browser is None:
        raise InputError("no Chromium browser found", "install one, e.g. `apt-get install chromium`")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
               f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={out}",
               "--virtual-time-budget=3000", Path(page).resolve().as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not out.is_file():
        raise InputError(f"{browser} could not render {page}: {done.stderr.strip().splitlines()[-1:]}",
                         "check that the browser runs headless on this machine")
    return out
