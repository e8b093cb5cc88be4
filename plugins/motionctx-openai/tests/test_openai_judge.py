"""mllm_judge over real HTTP: strict JSON scores, one re-ask on a malformed reply, clear failure."""

from __future__ import annotations

import json

import pytest

from motionctx.errors import InputError, MotionctxError
from motionctx.types import Sample
from motionctx_openai.judge import DIMENSIONS, MllmJudgeFilter, parse_scores
from motionctx_openai.testing import Reply, chat

GOOD = {d: s for d, s in zip(DIMENSIONS, (4, 3, 5, 4, 5, 2))}


def answer(obj) -> Reply:
    return Reply(body=chat(obj if isinstance(obj, str) else json.dumps(obj)))


@pytest.fixture
def sample(reference, driving):
    return Sample(reference=reference, target=driving, metadata={"id": "pair-0042"})


def test_scores_a_valid_reply(server, params, sample):
    server.then(answer(GOOD))
    judge = MllmJudgeFilter(params)
    assert judge.score(sample) == {d: float(v) for d, v in GOOD.items()}
    assert tuple(judge.dimensions) == DIMENSIONS
    req = server.requests[0]
    assert len(req.images()) == 4 and "imaging_quality" in req.text()
    assert req.body["temperature"] == 0.0 and "response_format" not in req.body


def test_malformed_reply_is_asked_again_once(server, params, sample):
    server.then(answer("Sure! The video looks great, I'd give it a 4."), answer(GOOD))
    assert MllmJudgeFilter(params).score(sample)["subject_consistency"] == 2.0
    assert len(server.requests) == 2
    second = server.requests[1].body["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"].startswith("Sure!")
    assert "not valid JSON" in second[2]["content"] and "motion_smoothness" in second[2]["content"]
    assert len(server.requests[1].images()) == 4


def test_two_malformed_replies_fail_clearly(server, params, sample, tmp_path):
    bad = {**GOOD, "imaging_quality": 7}
    server.then(answer(bad), answer({k: v for k, v in GOOD.items() if k != "aesthetic_quality"}))
    with pytest.raises(MotionctxError) as info:
        MllmJudgeFilter(params).score(sample)
    msg = str(info.value)
    assert "pair-0042" in msg and "test-mllm" in msg and f"{server.url}/chat/completions" in msg
    assert "missing keys ['aesthetic_quality']" in msg and "last reply" in msg
    assert "json_mode" in info.value.hint
    assert "imaging_quality is 7" in server.requests[1].body["messages"][2]["content"]
    assert len(server.requests) == 2
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_scores_are_cached(server, params, sample, tmp_path):
    server.then(answer(GOOD))
    first = MllmJudgeFilter(params).score(sample)
    assert MllmJudgeFilter(params).score(sample) == first
    assert len(server.requests) == 1
    [record] = [json.loads(p.read_text()) for p in (tmp_path / "cache").rglob("*.json")]
    assert record["task"] == "judge" and record["scores"] == {d: float(v) for d, v in GOOD.items()}


def test_metadata_video_and_json_mode(server, params, reference, driving):
    server.then(answer("```json\n" + json.dumps(GOOD) + "\n```"))
    sample = Sample(reference=reference, metadata={"video": driving})
    scores = MllmJudgeFilter({**params, "json_mode": True}).score(sample)
    assert scores["temporal_consistency"] == 5.0
    assert server.requests[0].body["response_format"] == {"type": "json_object"}


def test_no_video_to_score(params, reference):
    with pytest.raises(InputError, match="has no generated video"):
        MllmJudgeFilter(params).score(Sample(reference=reference))


def test_server_failure_is_a_clear_error(server, params, sample):
    server.fallback = lambda seen: Reply(503, {"error": {"message": "overloaded"}})
    with pytest.raises(MotionctxError, match=r"judging pair-0042.*HTTP 503: overloaded"):
        MllmJudgeFilter(params).score(sample)


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("[1, 2]", "JSON list, not an object"),
        ("{not json}", "not valid JSON"),
        (json.dumps({**GOOD, "vibes": 5}), "unexpected keys ['vibes']"),
        (json.dumps({**GOOD, "motion_smoothness": 0}), "motion_smoothness is 0"),
        (json.dumps({**GOOD, "motion_smoothness": "4"}), "motion_smoothness is '4'"),
        (json.dumps({**GOOD, "motion_smoothness": True}), "motion_smoothness is True"),
    ],
)
def test_parse_scores_rejects(reply, problem):
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_scores(reply)


def test_parse_scores_accepts_floats_and_fences():
    scores = parse_scores("```\n" + json.dumps({**GOOD, "aesthetic_quality": 3.5}) + "\n```")
    assert scores["aesthetic_quality"] == 3.5 and set(scores) == set(DIMENSIONS)
