"""mllm_fusion and mllm_concat over real HTTP: request content, results, caching, errors, prompts."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image as PILImage

from motionctx.errors import MotionctxError, RecipeError
from motionctx_openai.guiders import MllmConcatGuider, MllmFusionGuider
from motionctx_openai.media import sample_indices
from motionctx_openai.prompts import builtin_prompt, fill
from motionctx_openai.settings import FrameSampling
from motionctx_openai.testing import APPEARANCE_REPLY, FUSED_REPLY, MOTION_REPLY, Reply


def decode(url: str) -> PILImage.Image:
    assert url.startswith("data:image/jpeg;base64,")
    picture = PILImage.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert picture.format == "JPEG"
    return picture


def by_kind(server) -> dict[str, list]:
    kinds: dict[str, list] = {"motion": [], "appearance": [], "fusion": []}
    for r in server.requests:
        n = len(r.images())
        kinds["motion" if n > 1 else "appearance" if n == 1 else "fusion"].append(r)
    return kinds


def test_fusion_requests_carry_the_right_content(server, params, reference, driving):
    text = MllmFusionGuider(params).describe(reference, driving)
    assert text == FUSED_REPLY
    kinds = by_kind(server)
    assert [len(v) for v in kinds.values()] == [1, 1, 1]
    motion, appearance, fusion = kinds["motion"][0], kinds["appearance"][0], kinds["fusion"][0]

    frames = [decode(u) for u in motion.images()]
    assert len(frames) == 4
    # Frames 0, 5, 10, 15 of a grey ramp, in time order, resized to at most 64 px.
    greys = [f.convert("L").getpixel((5, 5)) for f in frames]
    assert greys == sorted(greys) and greys[0] < 10 and greys[-1] > 245
    assert all(max(f.size) == 64 for f in frames) and frames[0].size == (64, 36)
    assert motion.text() == builtin_prompt("motion").strip()
    assert motion.body["messages"][0]["content"][0]["type"] == "text"

    assert len(appearance.images()) == 1
    assert decode(appearance.images()[0]).size == (53, 64)
    assert appearance.text() == builtin_prompt("appearance").strip()

    assert fusion.images() == []
    assert MOTION_REPLY in fusion.text() and APPEARANCE_REPLY in fusion.text()
    assert fusion.text() == fill(builtin_prompt("fusion").strip(), appearance=APPEARANCE_REPLY, motion=MOTION_REPLY)
    assert all(r.body["model"] == "test-mllm" for r in server.requests)


def test_concat_joins_without_fusion_request(server, params, reference, driving):
    text = MllmConcatGuider({**params, "separator": " | "}).describe(reference, driving)
    assert text == f"{APPEARANCE_REPLY} | {MOTION_REPLY}"
    kinds = by_kind(server)
    assert len(server.requests) == 2 and kinds["fusion"] == []


def test_fusion_model_is_used_for_fusion_only(server, params, reference, driving):
    MllmFusionGuider({**params, "fusion_model": "text-llm"}).describe(reference, driving)
    kinds = by_kind(server)
    assert kinds["fusion"][0].body["model"] == "text-llm"
    assert kinds["motion"][0].body["model"] == "test-mllm"


def test_second_run_makes_no_request(server, params, reference, driving, tmp_path):
    first = MllmFusionGuider(params).describe(reference, driving)
    assert len(server.requests) == 3
    # A fresh part (a re-run of the recipe) reads the same cache.
    again = MllmFusionGuider(params).describe(reference, driving)
    assert again == first and len(server.requests) == 3
    files = sorted((tmp_path / "cache").rglob("*.json"))
    assert len(files) == 3
    records = [json.loads(f.read_text()) for f in files]
    assert {r["task"] for r in records} == {"motion", "appearance", "fusion"}
    assert {r["text"] for r in records} == {MOTION_REPLY, APPEARANCE_REPLY, FUSED_REPLY}
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.suffix != ".json"]


def test_cache_key_follows_inputs_but_not_client_settings(server, params, reference, driving):
    MllmConcatGuider(params).describe(reference, driving)
    assert len(server.requests) == 2
    # Timeouts, retries and concurrency do not change the reply: still cached.
    MllmConcatGuider({**params, "timeout": 9.0, "max_retries": 0, "max_concurrency": 1}).describe(reference, driving)
    assert len(server.requests) == 2
    # Another model asks again (both descriptions).
    MllmConcatGuider({**params, "model": "other"}).describe(reference, driving)
    assert len(server.requests) == 4
    # More frames: only the motion description is redone.
    MllmConcatGuider({**params, "frames": {"num_frames": 5, "max_side": 64}}).describe(reference, driving)
    assert len(server.requests) == 5 and len(server.requests[-1].images()) == 5


def test_cache_can_be_turned_off(server, params, reference, driving, tmp_path):
    guider = MllmConcatGuider({**params, "cache": False})
    guider.describe(reference, driving)
    guider.describe(reference, driving)
    assert len(server.requests) == 4 and not (tmp_path / "cache").exists()


def test_cache_dir_from_environment(server, params, reference, driving, tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIONCTX_CACHE_DIR", str(tmp_path / "envcache"))
    MllmConcatGuider({**params, "cache_dir": None}).describe(reference, driving)
    assert len(list((tmp_path / "envcache" / "mllm").rglob("*.json"))) == 2


def test_failure_is_clear_and_leaves_cache_consistent(server, params, reference, driving, tmp_path):
    def reply(seen):
        if len(seen.images()) > 1:
            return Reply(500, {"error": {"message": "vision backend unavailable"}})
        return Reply(body={"choices": [{"message": {"content": APPEARANCE_REPLY}}]})

    server.fallback = reply
    with pytest.raises(MotionctxError) as info:
        MllmFusionGuider(params).describe(reference, driving)
    msg = str(info.value)
    assert "motion description of the driving video (16 frames at 8 fps, 4 sent)" in msg
    assert f"POST {server.url}/chat/completions" in msg
    assert "HTTP 500" in msg and "vision backend unavailable" in msg and "after 3 attempts" in msg
    # The appearance reply succeeded and is cached; nothing at all was written for the failure.
    records = [json.loads(f.read_text()) for f in (tmp_path / "cache").rglob("*") if f.is_file()]
    assert [r["task"] for r in records] == ["appearance"]
    # Once the server recovers, only the missing work is done.
    server.fallback = lambda seen: Reply(body={"choices": [{"message": {"content": "ok " + str(len(seen.images()))}}]})
    before = len(server.requests)
    assert MllmFusionGuider(params).describe(reference, driving) == "ok 0"
    assert len(server.requests) - before == 2


def test_corrupt_cache_file_is_redone(server, params, reference, driving, tmp_path):
    MllmConcatGuider(params).describe(reference, driving)
    victim = sorted((tmp_path / "cache").rglob("*.json"))[0]
    victim.write_text("{ half a reco")
    MllmConcatGuider(params).describe(reference, driving)
    assert len(server.requests) == 3
    json.loads(victim.read_text())


def test_prompt_override_files(server, params, reference, driving, tmp_path):
    (tmp_path / "m.txt").write_text("Only say how it moves.")
    (tmp_path / "f.txt").write_text("Merge [{appearance}] with [{motion}] please.")
    MllmFusionGuider({**params, "motion_prompt": str(tmp_path / "m.txt"), "fusion_prompt": str(tmp_path / "f.txt")}).describe(
        reference, driving
    )
    kinds = by_kind(server)
    assert kinds["motion"][0].text() == "Only say how it moves."
    assert kinds["fusion"][0].text() == f"Merge [{APPEARANCE_REPLY}] with [{MOTION_REPLY}] please."


def test_fusion_prompt_without_placeholders_is_rejected(params, reference, driving, tmp_path):
    (tmp_path / "f.txt").write_text("Merge the two.")
    guider = MllmFusionGuider({**params, "fusion_prompt": str(tmp_path / "f.txt")})
    with pytest.raises(RecipeError, match=r"fusion_prompt.*lacks the placeholder\(s\) \{appearance\}, \{motion\}"):
        guider.describe(reference, driving)


def test_missing_prompt_file_is_named(params, reference, driving, tmp_path):
    guider = MllmConcatGuider({**params, "appearance_prompt": str(tmp_path / "nope.txt")})
    with pytest.raises(RecipeError, match="appearance_prompt.*nope.txt"):
        guider.describe(reference, driving)


def test_wrong_input_types(params, reference, driving):
    from motionctx.errors import InputError

    with pytest.raises(InputError, match="driving must be a motionctx Video"):
        MllmConcatGuider(params).describe(reference, reference)


def test_sequential_when_concurrency_is_one(server, params, reference, driving):
    server.fallback = lambda seen: Reply(body={"choices": [{"message": {"content": "x"}}]}, delay=0.05)
    MllmFusionGuider({**params, "max_concurrency": 1}).describe(reference, driving)
    assert server.max_in_flight == 1 and len(server.requests) == 3


def test_motion_and_appearance_run_side_by_side(server, params, reference, driving):
    server.fallback = lambda seen: Reply(body={"choices": [{"message": {"content": "x"}}]}, delay=0.2)
    MllmConcatGuider(params).describe(reference, driving)
    assert server.max_in_flight == 2


@pytest.mark.parametrize(
    ("total", "fps", "sampling", "expected"),
    [
        (16, 8.0, {"num_frames": 4}, [0, 5, 10, 15]),
        (3, 8.0, {"num_frames": 8}, [0, 1, 2]),
        (1, 8.0, {"num_frames": 4}, [0]),
        (100, 25.0, {"num_frames": 5, "max_seconds": 2.0}, [0, 12, 25, 37, 49]),
        (100, 24.0, {"num_frames": 8, "sample_fps": 2.0}, [0, 12, 24, 36, 48, 60, 72, 84]),
        (40, 24.0, {"num_frames": 8, "sample_fps": 2.0}, [0, 12, 24, 36]),
        (40, 10.0, {"num_frames": 8, "sample_fps": 20.0}, [0, 1, 2, 3, 4, 5, 6, 7]),
        (100, 24.0, {"num_frames": 8, "sample_fps": 4.0, "max_seconds": 1.0}, [0, 6, 12, 18]),
    ],
)
def test_sample_indices(total, fps, sampling, expected):
    assert sample_indices(total, fps, FrameSampling(**sampling)) == expected


def test_detail_hint_is_sent_when_set(server, params, reference, driving):
    MllmConcatGuider({**params, "frames": {"num_frames": 2, "detail": "low"}}).describe(reference, driving)
    parts = [p for r in server.requests for p in r.body["messages"][0]["content"] if p["type"] == "image_url"]
    assert len(parts) == 3 and all(p["image_url"]["detail"] == "low" for p in parts)
