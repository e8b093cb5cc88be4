"""The mllm_judge scorer inside a real evaluate run, over real loopback HTTP: the judge sees the
reference and driving frames, a malformed reply fails only its pair, replies are cached."""

from __future__ import annotations

import base64
import io
import json

from motionctx.recipe import load_recipe
from motionctx_openai.judge import DIMENSIONS
from motionctx_openai.judge_scorer import LABELS
from motionctx_openai.testing import Reply, chat

from .conftest import KEY_ENV

GOOD = {d: s for d, s in zip(DIMENSIONS, (4, 3, 5, 2, 5, 4))}
JUDGE_PART = """\
  judge:
    kind: scorer
    use: mllm_judge
    with: {base_url: "URL", model: test-mllm, api_key_env: KEY, cache_dir: "CACHE", max_retries: 0,
           frames: {num_frames: 3, max_side: 64}, driving_frames: 2}
"""
RECIPE = """
motionctx: 1
name: judged
parts:
""" + JUDGE_PART + """\
stages:
  - run: evaluate
    with: {manifest: "MANIFEST", variants: [{name: copy, baseline: reference}], size: [32, 32]}
"""


def write_cases(folder, n: int = 2):
    import torch

    from motionctx.io import write_image, write_video
    from motionctx.types import Image, Video

    folder.mkdir()
    lines = []
    for i in range(n):
        write_image(folder / f"ref{i}.png", Image(torch.full((3, 32, 32), 0.2 + 0.3 * i)))
        levels = torch.linspace(0, 1, 5).view(5, 1, 1, 1).expand(5, 3, 32, 32).contiguous()
        write_video(folder / f"drv{i}.mp4", Video(levels, 8.0))
        lines.append(json.dumps({"id": f"c{i}", "reference": f"ref{i}.png", "driving": f"drv{i}.mp4"}) + "\n")
    (folder / "manifest.jsonl").write_text("".join(lines))
    return folder / "manifest.jsonl"


def recipe(tmp_path, server):
    text = (RECIPE.replace("URL", server.url).replace("KEY", KEY_ENV).replace("CACHE", str(tmp_path / "cache"))
            .replace("MANIFEST", str(write_cases(tmp_path / "cases"))))
    path = tmp_path / "judged.yaml"
    path.write_text(text)
    return path


def test_judge_sees_reference_and_driving_and_a_bad_reply_fails_one_pair(server, api_key, tmp_path):
    from PIL import Image as PILImage

    server.then(Reply(body=chat(json.dumps(GOOD))), Reply(body=chat("looks fine to me")),
                Reply(body=chat('{"imaging_quality": 9}')))
    path = recipe(tmp_path, server)
    [result] = load_recipe(path).run(output_dir=tmp_path / "out", progress=False)
    assert result.metrics["pairs_recorded"] == 2 and result.metrics["pairs_with_errors"] == 1

    first = server.requests[0]
    texts = [p["text"] for p in first.content() if p["type"] == "text"]
    assert texts[1:] == list(LABELS) and "REFERENCE IMAGE" in texts[0]
    kinds = [p["type"] if p["type"] == "image_url" else p["text"] for p in first.content()[1:]]
    assert kinds == [LABELS[0], "image_url", LABELS[1], "image_url", "image_url", LABELS[2]] + ["image_url"] * 3
    images = [PILImage.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))).convert("L") for u in first.images()]
    reference, driving = images[0], images[1:3]
    assert abs(reference.getpixel((5, 5)) - 0.2 * 255) < 6  # case c0's reference grey
    assert driving[0].getpixel((5, 5)) < 20 and driving[1].getpixel((5, 5)) > 235  # first and last driving frames

    report = json.loads((tmp_path / "out" / "eval" / "report.json").read_text())
    [ok, bad] = report["records"]
    assert ok["scores"] == {f"judge.{d}": float(v) for d, v in GOOD.items()} and not ok["errors"]
    assert bad["scores"] == {} and "gave no valid scores after being asked twice" in bad["errors"]["judge"]
    assert "missing keys" in bad["errors"]["judge"] and "last reply" in bad["errors"]["judge"]
    assert report["categories"]["all"]["copy"]["judge.motion_smoothness"] == {
        "n": 1, "mean": 2.0, "std": 0.0, "sem": 0.0, "median": 2, "min": 2, "max": 2}
    assert "c1 (judge)" in (tmp_path / "out" / "eval" / "report.md").read_text()

    # a rerun that retries the failure asks only about c1: c0 is finished, and its reply is cached
    server.then(Reply(body=chat(json.dumps(GOOD))))
    [again] = load_recipe(path, ["stages.0.with.retry_failed=true"]).run(output_dir=tmp_path / "out", progress=False)
    assert again.metrics["pairs_run"] == 1 and again.metrics["pairs_with_errors"] == 0 and len(server.requests) == 4
    assert api_key not in (tmp_path / "out" / "eval" / "report.json").read_text()


FILTER_RECIPE = """
motionctx: 1
name: judged_filter
parts:
""" + JUDGE_PART + """\
stages:
  - run: filter
    with:
      manifest: "MANIFEST"
      threshold: 4.0
      filter: null
      scorers:
        judge: {imaging_quality: [1, 5], aesthetic_quality: [1, 5], temporal_consistency: [1, 5],
                motion_smoothness: [1, 5], background_consistency: [1, 5], subject_consistency: [1, 5]}
"""


def test_the_filter_judges_each_synthesised_video_beside_its_reference_and_driving_clip(server, api_key, tmp_path):
    """recipes/e2e_m2.yaml's filter: the judge scorer is shown the unit's reference image and its
    driving clip with the synthesised video; the mean of the six 1-5 scores decides what is kept."""
    import torch

    from motionctx.io import append_jsonl, read_jsonl, write_image, write_video
    from motionctx.types import Image, Video

    levels = torch.linspace(0, 1, 5).view(5, 1, 1, 1).expand(5, 3, 32, 32).contiguous()
    manifest = tmp_path / "synth.jsonl"
    for i in range(2):
        ref = write_image(tmp_path / f"ref{i}.png", Image(torch.full((3, 32, 32), 0.2 + 0.3 * i)))
        drv = write_video(tmp_path / f"drv{i}.mp4", Video(levels, 8.0))
        out = write_video(tmp_path / f"out{i}.mp4", Video(torch.full((5, 3, 32, 32), 0.5), 8.0))
        append_jsonl(manifest, {"id": f"u{i}", "driving": str(drv), "reference": str(ref), "video": str(out),
                                "source": str(drv), "caption": "a grey square"})
    high, low = dict.fromkeys(DIMENSIONS, 5), dict.fromkeys(DIMENSIONS, 2)
    server.then(Reply(body=chat(json.dumps(high))), Reply(body=chat(json.dumps(low))))
    path = tmp_path / "f.yaml"
    path.write_text(FILTER_RECIPE.replace("URL", server.url).replace("KEY", KEY_ENV)
                    .replace("CACHE", str(tmp_path / "cache")).replace("MANIFEST", str(manifest)))
    load_recipe(path).run(output_dir=tmp_path / "out", progress=False)
    kept = read_jsonl(tmp_path / "out" / "filtered.jsonl")
    assert [k["id"] for k in kept] == ["u0"] and kept[0]["score"] == 5.0
    assert kept[0]["path"] == str(tmp_path / "drv0.mp4") and kept[0]["driving"] == str(tmp_path / "out0.mp4")
    texts = [p["text"] for p in server.requests[0].content() if p["type"] == "text"]
    assert texts[1:] == list(LABELS)  # reference, driving and output, each labelled
    assert len(server.requests[0].images()) == 1 + 2 + 3
