"""Plain-English descriptions of identities and motions, from the generator's own data."""

from __future__ import annotations

from collections.abc import Sequence

from motionctx_toy.character import Character
from motionctx_toy.colors import colour_name
from motionctx_toy.motion import Motion

_PATTERN_WORDS = {
    "plain": "", "bands": "banded", "split": "two-tone", "checks": "checked", "spots": "spotted",
}
_SIZE_WORDS = {
    ("legs", "large"): "long legs", ("legs", "small"): "short legs", ("arms", "large"): "long arms",
    ("arms", "small"): "short arms", ("torso", "large"): "a long body", ("torso", "small"): "a short body",
    ("neck", "large"): "a long neck", ("neck", "small"): "a short neck", ("tail", "large"): "a long tail",
    ("tail", "small"): "a stubby tail", ("wing", "large"): "broad wings", ("wing", "small"): "short wings",
    ("body", "large"): "a long body", ("body", "small"): "a compact body", ("shoulders", "large"): "broad shoulders",
    ("shoulders", "small"): "narrow shoulders", ("hips", "large"): "wide hips",
}
#: adjectives folded into the phrase of the part itself ("a big round head", "small black ears")
_PART_SIZE = {"head": ("big", "small"), "ears": ("big", "small"), "beak": ("long", "short")}


def _a(phrase: str) -> str:
    """``phrase`` with its indefinite article."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _size(ch: Character, group: str) -> str:
    large, small = _PART_SIZE[group]
    word = {"large": large, "small": small}.get(ch.traits.get(f"size_{group}", ""), "")
    return f"{word} " if word else ""


def _c(ch: Character, role: str) -> str:
    return colour_name(ch.colours[role])


def _patterned(ch: Character, role: str, noun: str) -> str:
    word = _PATTERN_WORDS.get(ch.pattern, "")
    if not word:
        return f"{_c(ch, role)} {noun}"
    return f"{word} {_c(ch, role)} and {_c(ch, 'accent')} {noun}"


def _features(ch: Character) -> list[str]:
    out = [text for (group, size), text in _SIZE_WORDS.items() if ch.traits.get(f"size_{group}") == size]
    if ch.traits.get("limbs") in ("thick", "thin"):
        out.append(f"{ch.traits['limbs']} limbs")
    return out[:3]


def describe_character(ch: Character) -> str:
    """E.g. "a slender humanoid with a round head, short black hair, a banded red and white top ..."."""
    build = {"stocky": "stocky ", "slender": "slender "}.get(ch.traits.get("build", ""), "")
    if ch.family == "humanoid":
        hair = ch.traits.get("hair", "none")
        parts = [_a(f"{_size(ch, 'head')}{ch.head} {_c(ch, 'skin')} head")]
        parts.append("no hair" if hair == "none" else f"{hair} {_c(ch, 'hair')} hair")
        sleeves = "long-sleeved" if ch.traits.get("sleeves") == "long" else "short-sleeved"
        parts.append(_a(f"{sleeves} {_patterned(ch, 'top', 'top')}"))
        parts.append(f"{_c(ch, 'bottom')} trousers and {_c(ch, 'shoe')} shoes")
        noun = "humanoid"
    elif ch.family == "quadruped":
        parts = [_a(_patterned(ch, "coat", "coat")), f"{_size(ch, 'ears')}{_c(ch, 'ear')} ears"]
        if ch.traits.get("socks") == "yes":
            parts.append(f"{_c(ch, 'paw')} paws")
        noun = "four-legged animal"
    else:
        parts = [_a(_patterned(ch, "body", "body")), f"{_c(ch, 'wing')} wings",
                 _a(f"{_size(ch, 'head')}{ch.head} {_c(ch, 'head')} head"), _a(f"{_size(ch, 'beak')}{_c(ch, 'beak')} beak")]
        noun = "bird"
    parts += _features(ch)
    return _a(f"{build}{noun}") + " with " + _join(parts)


_MOTION_WORDS = {
    ("humanoid", "wave"): "waves {arms_phrase} while stepping to the {direction}",
    ("humanoid", "dance"): "dances, swinging its arms and swaying its hips",
    ("humanoid", "walk"): "walks to the {direction}",
    ("humanoid", "jump"): "jumps {count_phrase}, {style_phrase}",
    ("humanoid", "turn"): "spins round {direction} with its arms out",
    ("humanoid", "cartwheel"): "does a cartwheel to the {direction}",
    ("quadruped", "walk"): "walks to the {direction}",
    ("quadruped", "run"): "runs to the {direction}",
    ("quadruped", "jump"): "leaps to the {direction}",
    ("quadruped", "turn"): "walks, turns round and heads back ({direction})",
    ("quadruped", "rear"): "rears up on its hind legs, facing {direction}",
    ("bird", "fly"): "flies to the {direction}, flapping its wings",
    ("bird", "glide"): "glides to the {direction} on outstretched wings",
    ("bird", "hop"): "hops to the {direction} with folded wings",
    ("bird", "turn"): "turns round {direction} on the spot",
    ("bird", "dance"): "dances, bobbing its head and pumping its wings",
}


def describe_motion(m: Motion) -> str:
    """E.g. "walks to the left"."""
    t = m.traits
    arms = t.get("arms", "both")
    words = {
        "direction": t.get("direction", ""),
        "arms_phrase": "both arms" if arms == "both" else f"its {arms} arm",
        "count_phrase": "twice" if t.get("count") == "2" else "once",
        "style_phrase": "spreading its arms and legs" if t.get("style") == "star" else "tucking its knees",
    }
    template = _MOTION_WORDS.get((m.family, m.kind), m.kind)
    return template.format(**words)


def caption(characters: Sequence[Character], motions: Sequence[Motion]) -> str:
    """One sentence per character: "A ... with .... It walks to the left."."""
    sentences = []
    for i, (ch, m) in enumerate(zip(characters, motions)):
        who = describe_character(ch)
        lead = who[0].upper() + who[1:] if i == 0 else "Another character: " + who
        sentences.append(f"{lead}. It {describe_motion(m)}.")
    return " ".join(sentences)


def _join(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
