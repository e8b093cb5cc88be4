"""Loading errors, Config validation, geometry without weights, entry-point discovery, tiny folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import torch

from motionctx.errors import RecipeError, WeightsError
from motionctx.plugins import load_plugins
from motionctx.types import Geometry
from motionctx_wan.backbone import WanI2VBackbone, WanTI2VBackbone
from motionctx_wan.tiny import build_tiny_wan


def test_missing_folder_names_it_and_says_how_to_get_weights(tmp_path):
    folder = tmp_path / "nowhere"
    with pytest.raises(WeightsError) as err:
        WanI2VBackbone(path=str(folder)).load()
    assert str(folder) in err.value.message and "does not exist" in err.value.message
    assert "huggingface-cli download Wan-AI/Wan2.1-I2V-14B-480P-Diffusers" in err.value.hint
    with pytest.raises(WeightsError) as err:
        WanTI2VBackbone(path=str(folder)).load()
    assert "Wan2.2-TI2V-5B-Diffusers" in err.value.hint


def test_incomplete_folder_lists_missing_files(tmp_path, tiny_folders):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WeightsError, match="missing model_index.json"):
        WanI2VBackbone(path=str(empty)).load()
    partial = tmp_path / "partial"
    shutil.copytree(tiny_folders["i2v"], partial)
    shutil.rmtree(partial / "transformer")
    for f in (partial / "vae").glob("*.safetensors"):
        f.unlink()
    with pytest.raises(WeightsError) as err:
        WanI2VBackbone(path=str(partial)).load()
    assert "transformer/" in err.value.message and "vae/*.safetensors" in err.value.message
    assert str(partial) in err.value.message


def test_corrupt_weights_become_a_weights_error(tmp_path, tiny_folders):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_folders["ti2v"], broken)
    for f in (broken / "transformer").glob("*.safetensors"):
        f.write_bytes(b"garbage")
    with pytest.raises(WeightsError, match="could not be loaded"):
        WanTI2VBackbone(path=str(broken), dtype="float32").load()


def test_wrong_family_points_to_the_other_backbone(tiny_folders):
    with pytest.raises(WeightsError) as err:
        WanI2VBackbone(path=str(tiny_folders["ti2v"]), dtype="float32").load()
    assert "wan_ti2v" in err.value.hint
    with pytest.raises(WeightsError) as err:
        WanTI2VBackbone(path=str(tiny_folders["i2v"]), dtype="float32").load()
    assert "wan_i2v" in err.value.hint


def test_config_is_validated_before_any_weights():
    with pytest.raises(RecipeError, match="did you mean 'dtype'"):
        WanI2VBackbone(path="/x", dtyp="float32")
    with pytest.raises(RecipeError, match="path"):
        WanI2VBackbone()
    with pytest.raises(RecipeError, match="scheduler"):
        WanI2VBackbone(path="/x", scheduler="ddim")
    bb = WanI2VBackbone(path="/x")
    assert bb.config.lora_rank == 256 and bb.config.lora_alpha is None and bb.config.max_sequence_length == 512


def test_offload_needs_a_gpu(tiny_folders):
    with pytest.raises(RecipeError, match="needs a GPU"):
        WanI2VBackbone(path=str(tiny_folders["i2v"]), dtype="float32", device="cpu", offload="model").load()


def test_geometry_comes_from_folder_configs_without_loading(tiny_folders):
    i2v = WanI2VBackbone(path=str(tiny_folders["i2v"]))
    ti2v = WanTI2VBackbone(path=str(tiny_folders["ti2v"]))
    assert i2v.geometry == Geometry(spatial_factor=8, temporal_factor=4, size_multiple=16, max_frames=81)
    assert ti2v.geometry == Geometry(spatial_factor=16, temporal_factor=4, size_multiple=32, max_frames=121)
    assert i2v.pipe is None and ti2v.pipe is None  # nothing loaded
    assert WanTI2VBackbone(path="/no/such").geometry.size_multiple == 32  # defaults before download


def test_text_embeddings_are_padded_to_the_model_length(backbones):
    emb = backbones["i2v"].encode_text(["a short prompt", "another"])
    assert emb.shape == (2, 512, 32)
    assert torch.all(emb[:, 20:] == 0)  # past the tokens: zero padding, as the stock pipeline does


def test_backbones_are_discovered_through_the_entry_point():
    plugins = load_plugins()
    for name, cls in (("wan_i2v", WanI2VBackbone), ("wan_ti2v", WanTI2VBackbone)):
        entry = plugins.registry.entry("backbone", name)
        assert entry.cls is cls and entry.provider == "motionctx-wan"
    assert not [i for i in plugins.infos if i.distribution == "motionctx-wan" and i.error]


def test_discovery_does_not_import_heavy_modules():
    code = (
        "import sys; from motionctx.plugins import load_plugins; p = load_plugins(); "
        "assert 'wan_i2v' in p.registry.names('backbone'); "
        "heavy = [m for m in ('torch', 'diffusers', 'transformers', 'peft') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_tiny_folder_is_deterministic_and_complete(tmp_path):
    from safetensors.torch import load_file

    a = build_tiny_wan(tmp_path / "a", "ti2v", seed=3)
    b = build_tiny_wan(tmp_path / "b", "ti2v", seed=3)
    c = build_tiny_wan(tmp_path / "c", "ti2v", seed=4)
    index = json.loads((a / "model_index.json").read_text())
    assert index["_class_name"] == "WanPipeline" and index["expand_timesteps"] is True
    wa, wb, wc = (load_file(next((f / "transformer").glob("*.safetensors"))) for f in (a, b, c))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert any(not torch.equal(wa[k], wc[k]) for k in wa)
    with pytest.raises(ValueError, match="unknown sizes"):
        build_tiny_wan(tmp_path / "d", "i2v", width=3)
