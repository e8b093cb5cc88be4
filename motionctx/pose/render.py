"""The OpenPose/ControlNet skeleton renderer that pose-conditioned video models are trained on.

The drawing follows ControlNet's DWPose convention exactly (and is tested pixel-for-pixel against
``controlnet_aux.dwpose.draw_pose``): body limbs as filled ellipses of half-width 4 px in the 18
OpenPose colours (the first 17 limbs; the two ear-shoulder limbs are not drawn), the canvas
darkened to 0.6 after the limbs, joints as filled circles of radius 4; hands as 2 px lines in
HSV colours with blue dots of radius 4; the face as white dots of radius 3. Coordinates are cut to
integers towards zero, as there. Two quirks are kept for parity: a body joint is visible when its
score is above the threshold, a hand or face point when it is at least the threshold; and hand or
face points whose integer coordinate is 0 or negative (the first pixel row or column) are not
drawn. People are drawn limb by limb (all people's limb 0, then limb 1, ...), and all left hands
before all right hands, as there.

Formats that map to ``openpose_134`` (COCO-WholeBody, OpenPose 18) are drawn this way; any other
skeleton is drawn generically from its own edges and colours. OpenCV is imported on first use.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from motionctx.pose.skeletons import BODY_COLORS, HAND_EDGES, OPENPOSE_134_PARTS, OPENPOSE_LIMBS

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence, Video

__all__ = ["draw_openpose", "hand_edge_colors", "render_poses", "render_video"]

STICK_WIDTH = 4
JOINT_RADIUS = 4
HAND_THICKNESS = 2
FACE_RADIUS = 3
DARKEN = 0.6
_LIMITS = 1e6  # coordinates beyond this are clipped so OpenCV never overflows


def hand_edge_colors() -> list[tuple[float, float, float]]:
    """The hand edge colours: HSV hue ``i / 20`` at full saturation and value, times 255, as floats.

    Computed with the same arithmetic as matplotlib's ``hsv_to_rgb`` so OpenCV rounds them the same.
    """
    out = []
    n = len(HAND_EDGES)
    for i in range(n):
        h6 = (i / float(n)) * 6.0
        k = int(h6)
        f = h6 - k
        p, q, t = 0.0, 1.0 * (1.0 - 1.0 * f), 1.0 * (1.0 - 1.0 * (1.0 - f))
        rgb = [(1.0, t, p), (q, 1.0, p), (p, 1.0, t), (p, q, 1.0), (t, p, 1.0), (1.0, p, q)][k % 6]
        out.append(tuple(c * 255 for c in rgb))
    return out  # type: ignore[return-value]


_HAND_COLORS = hand_edge_colors()


def _cv2():
    """OpenCV, or a clear error saying how to install it."""
    try:
        import cv2
    except ImportError:
        from motionctx.errors import MotionctxError

        raise MotionctxError(
            "the pose renderer needs OpenCV, which is not installed", "pip install opencv-python-headless"
        ) from None
    return cv2


_DARKEN_LUT = None


def _darken_lut() -> np.ndarray:
    global _DARKEN_LUT
    if _DARKEN_LUT is None:
        import numpy as np

        # the same float64 multiply-then-truncate as ControlNet's ``(canvas * 0.6).astype(uint8)``
        _DARKEN_LUT = (np.arange(256, dtype=np.float64) * DARKEN).astype(np.uint8)
    return _DARKEN_LUT


def _scaled(color: tuple[float, ...], score: float, on: bool) -> tuple[float, ...]:
    if not on:
        return color
    s = min(max(float(score), 0.0), 1.0)
    return tuple(c * s for c in color)


def draw_openpose(
    canvas: np.ndarray,
    keypoints: np.ndarray,
    scores: np.ndarray,
    *,
    body: bool = True,
    hands: bool = True,
    face: bool = True,
    threshold: float = 0.3,
    confidence_colors: bool = False,
    scale: float = 1.0,
) -> np.ndarray:
    """Draw people ``keypoints [P, 134, 2]`` (pixels, ``openpose_134``) onto ``canvas [H, W, 3]`` uint8.

    ``canvas`` is drawn in place (RGB) and returned. As in ControlNet it must start black: the 0.6
    darkening is applied only to the area the limbs touched, which on a black canvas is the same.
    ``confidence_colors`` multiplies each colour by the score of what it draws (the lower endpoint
    score for a limb or hand edge). ``scale`` multiplies every stroke width and dot radius (1 =
    the ControlNet sizes, which suit frames of about 512 px; small frames want less).
    """
    import numpy as np

    cv2 = _cv2()
    stick, joint, hand_px, face_px = (_px(v, scale) for v in (STICK_WIDTH, JOINT_RADIUS, HAND_THICKNESS, FACE_RADIUS))

    kp = np.clip(np.nan_to_num(np.asarray(keypoints, dtype=np.float64), nan=-_LIMITS), -_LIMITS, _LIMITS)
    sc = np.asarray(scores, dtype=np.float64)
    people = kp.shape[0]
    conf = confidence_colors
    if body and people:
        b_kp, b_sc = kp[:, :18], sc[:, :18]
        vis = (b_sc > threshold).tolist()
        xs, ys, ss = b_kp[..., 0].tolist(), b_kp[..., 1].tolist(), b_sc.tolist()
        h, w = canvas.shape[:2]
        x_lo, y_lo, x_hi, y_hi = w, h, -1, -1  # the area the limbs touched: only it needs darkening
        for i in range(17):
            a, b = OPENPOSE_LIMBS[i]
            for n in range(people):
                if not (vis[n][a] and vis[n][b]):
                    continue
                xa, xb, ya, yb = xs[n][a], xs[n][b], ys[n][a], ys[n][b]
                length = ((ya - yb) ** 2 + (xa - xb) ** 2) ** 0.5
                angle = math.degrees(math.atan2(ya - yb, xa - xb))
                poly = cv2.ellipse2Poly(
                    (int((xa + xb) / 2), int((ya + yb) / 2)), (int(length / 2), stick), int(angle), 0, 360, 1
                )
                cv2.fillConvexPoly(canvas, poly, _scaled(BODY_COLORS[i], min(ss[n][a], ss[n][b]), conf))
                (px0, py0), (px1, py1) = poly.min(axis=0).tolist(), poly.max(axis=0).tolist()
                x_lo, y_lo, x_hi, y_hi = min(x_lo, px0), min(y_lo, py0), max(x_hi, px1), max(y_hi, py1)
        x_lo, y_lo, x_hi, y_hi = max(x_lo, 0), max(y_lo, 0), min(x_hi, w - 1), min(y_hi, h - 1)
        if x_lo <= x_hi and y_lo <= y_hi:
            roi = canvas[y_lo : y_hi + 1, x_lo : x_hi + 1]
            roi[...] = cv2.LUT(roi, _darken_lut())
        for i in range(18):
            for n in range(people):
                if vis[n][i]:
                    center = (int(xs[n][i]), int(ys[n][i]))
                    cv2.circle(canvas, center, joint, _scaled(BODY_COLORS[i], ss[n][i], conf), thickness=-1)
    if hands and people:
        lo, hi = OPENPOSE_134_PARTS["left_hand"][0], OPENPOSE_134_PARTS["right_hand"][1]
        h_kp = np.concatenate([kp[:, lo : lo + 21], kp[:, hi - 21 : hi]])
        h_sc = np.concatenate([sc[:, lo : lo + 21], sc[:, hi - 21 : hi]])
        ix, iy, ok = _small_point_visibility(h_kp, h_sc, threshold)
        for h in np.flatnonzero(ok.any(axis=1)).tolist():
            x, y, v, s = ix[h], iy[h], ok[h], h_sc[h].tolist()
            for e, (a, b) in enumerate(HAND_EDGES):
                if v[a] and v[b]:
                    color = _scaled(_HAND_COLORS[e], min(s[a], s[b]), conf)
                    cv2.line(canvas, (x[a], y[a]), (x[b], y[b]), color, thickness=hand_px)
            for j in range(21):
                if v[j]:
                    cv2.circle(canvas, (x[j], y[j]), joint, _scaled((0, 0, 255), s[j], conf), thickness=-1)
    if face and people:
        lo, hi = OPENPOSE_134_PARTS["face"]
        ix, iy, ok = _small_point_visibility(kp[:, lo:hi], sc[:, lo:hi], threshold)
        f_sc = sc[:, lo:hi].tolist()
        for n in np.flatnonzero(ok.any(axis=1)).tolist():
            for j in np.flatnonzero(ok[n]).tolist():
                color = _scaled((255, 255, 255), f_sc[n][j], conf)
                cv2.circle(canvas, (ix[n][j], iy[n][j]), face_px, color, thickness=-1)
    return canvas


def _px(size: int, scale: float) -> int:
    """A stroke width or radius at ``scale`` (unchanged at 1; never below 1 px)."""
    return size if scale == 1.0 else max(1, round(size * scale))


def _small_point_visibility(kp: np.ndarray, sc: np.ndarray, threshold: float) -> tuple[list, list, np.ndarray]:
    """Integer coordinates and visibility of hand/face points (ControlNet's rules, see module doc)."""
    import numpy as np

    ix, iy = np.trunc(kp[..., 0]), np.trunc(kp[..., 1])
    ok = (sc >= threshold) & (ix > 0) & (iy > 0)
    return ix.astype(np.int64).tolist(), iy.astype(np.int64).tolist(), ok


def _draw_generic(
    canvas: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, skeleton, threshold: float, scale: float = 1.0
) -> None:
    """Edges as 4 px lines in the skeleton's colours, joints as white dots (non-OpenPose formats)."""
    import numpy as np

    cv2 = _cv2()

    kp = np.clip(np.nan_to_num(keypoints.astype(np.float64), nan=-_LIMITS), -_LIMITS, _LIMITS)
    vis = scores > threshold
    xi, yi = np.trunc(kp[..., 0]).astype(np.int64).tolist(), np.trunc(kp[..., 1]).astype(np.int64).tolist()
    colors = skeleton.colors or ((255, 255, 255),) * len(skeleton.edges)
    for n in range(kp.shape[0]):
        for e, (a, b) in enumerate(skeleton.edges):
            if vis[n, a] and vis[n, b]:
                cv2.line(canvas, (xi[n][a], yi[n][a]), (xi[n][b], yi[n][b]), colors[e], thickness=_px(STICK_WIDTH, scale))
        for j in np.flatnonzero(vis[n]).tolist():
            cv2.circle(canvas, (xi[n][j], yi[n][j]), _px(JOINT_RADIUS, scale), (255, 255, 255), thickness=-1)


def render_poses(
    poses: PoseSequence,
    *,
    size: tuple[int, int] | None = None,
    body: bool = True,
    hands: bool = True,
    face: bool = True,
    threshold: float = 0.3,
    confidence_colors: bool = False,
    scale: float = 1.0,
) -> np.ndarray:
    """Render every frame of ``poses`` as uint8 RGB ``[T, H, W, 3]`` on a black canvas.

    ``size (H, W)`` is the canvas (default ``poses.size``); keypoints are drawn where they are, so
    resize them first (:func:`motionctx.pose.transform.fit_to_size`) to draw at another size.
    """
    import numpy as np

    from motionctx.errors import InputError
    from motionctx.pose.mapping import convert, find_mappings

    h, w = size or poses.size
    if h < 1 or w < 1:
        raise InputError(f"render size must be positive, got {h}x{w} (H x W)")
    try:
        find_mappings(poses.skeleton.name, "openpose_134")
        generic = False
    except InputError:
        generic = True
    if not generic:
        poses = convert(poses, "openpose_134")
    kp = poses.keypoints.detach().cpu().numpy().astype(np.float64)
    sc = poses.scores.detach().cpu().numpy().astype(np.float64)
    sc = np.where(np.isfinite(kp).all(axis=-1), sc, 0.0)
    out = np.zeros((poses.num_frames, h, w, 3), dtype=np.uint8)
    for t in range(poses.num_frames):
        if generic:
            _draw_generic(out[t], kp[t], sc[t], poses.skeleton, threshold, scale)
        else:
            draw_openpose(
                out[t],
                kp[t],
                sc[t],
                body=body,
                hands=hands,
                face=face,
                threshold=threshold,
                confidence_colors=confidence_colors,
                scale=scale,
            )
    return out


def render_video(poses: PoseSequence, **options) -> Video:
    """:func:`render_poses` as a :class:`~motionctx.types.Video` at ``poses.fps``."""
    import torch

    from motionctx.types import Video

    return Video.from_uint8(torch.from_numpy(render_poses(poses, **options)), poses.fps)
