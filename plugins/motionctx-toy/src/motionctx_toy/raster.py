"""Rasterise a posed character with numpy: capsules, ellipses and quads, depth-sorted per frame.

Each primitive is tested only inside its own small box (one box size per primitive type, every
frame at once), and the covered pixels are scattered into a per-frame depth-rank buffer with
``np.maximum.at``: the nearest primitive wins each pixel. Colours and the texture pattern are then
computed for the winning pixels only, in the winner's own coordinates, so patterns move with
the limbs.
"""

from __future__ import annotations

import numpy as np

from motionctx_toy.colors import FAR_SHADE
from motionctx_toy.posing import Posed

MIN_RADIUS = 0.6  # pixels: thin parts never vanish
FAR = -1.0e4  # where hidden primitives are moved


def _grid(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates ``px [T, N, bw]``, ``py [T, N, bh]`` of boxes covering [lo, hi]."""
    start = np.floor(lo)
    size = np.ceil(hi - start).astype(np.int64).max(axis=(0, 1)) + 1  # (bw, bh)
    bw, bh = int(max(size[0], 1)), int(max(size[1], 1))
    px = start[..., 0, None] + np.arange(bw, dtype=np.float32) + 0.5
    py = start[..., 1, None] + np.arange(bh, dtype=np.float32) + 0.5
    return px.astype(np.float32), py.astype(np.float32)


def _scatter(top: np.ndarray, cov: np.ndarray, px: np.ndarray, py: np.ndarray, rank: np.ndarray) -> None:
    """Raise ``top [T, H, W]`` to ``rank [T, N]`` wherever ``cov [T, N, bh, bw]`` is set."""
    t_n, h, w = top.shape
    xi = np.floor(px).astype(np.int64)[:, :, None, :]
    yi = np.floor(py).astype(np.int64)[:, :, :, None]
    cov &= (xi >= 0) & (xi < w)
    cov &= (yi >= 0) & (yi < h)
    flat = (np.arange(t_n)[:, None, None, None] * h + yi) * w + xi
    sel = np.broadcast_to(flat, cov.shape)[cov]
    if sel.size:
        np.maximum.at(top.reshape(-1), sel, np.broadcast_to(rank[:, :, None, None], cov.shape)[cov])


def _buckets(lo: np.ndarray, hi: np.ndarray, ratio: float = 0.45) -> list[np.ndarray]:
    """Group primitives by box size so small parts are not tested over a big part's box."""
    ext = (hi - lo).max(axis=0) + 2.0  # [N, 2]
    area = ext[:, 0] * ext[:, 1]
    order = np.argsort(-area, kind="stable")
    groups, start = [], 0
    for k in range(1, len(order) + 1):
        if k == len(order) or area[order[k]] < ratio * area[order[start]]:
            groups.append(np.sort(order[start:k]))
            start = k
    return groups


def _capsules(top, rank, a, b, radius):
    r_max = radius.max(axis=1)[None, :, None]
    lo, hi = np.minimum(a, b) - r_max, np.maximum(a, b) + r_max
    for g in _buckets(lo, hi):
        _capsule_group(top, rank[:, g], a[:, g], b[:, g], radius[g], lo[:, g], hi[:, g])


def _capsule_group(top, rank, a, b, radius, lo, hi):
    d = b - a
    l2 = (d * d).sum(-1) + 1e-6
    px, py = _grid(lo, hi)
    fx = px[:, :, None, :] - a[..., 0, None, None]
    fy = py[:, :, :, None] - a[..., 1, None, None]
    dx, dy = d[..., 0, None, None], d[..., 1, None, None]
    t = fx * (dx / l2[..., None, None]) + fy * (dy / l2[..., None, None])
    np.clip(t, 0.0, 1.0, out=t)
    ex = fx - t * dx
    ey = fy - t * dy
    r0, r1 = radius[:, 0] ** 2, radius[:, 1] ** 2
    cov = ex * ex + ey * ey <= r0[None, :, None, None] + t * (r1 - r0)[None, :, None, None]
    _scatter(top, cov, px, py, rank)


def _blobs(top, rank, c, e, radius, square):
    reach = radius.max(axis=1)[None, :, None]
    px, py = _grid(c - reach, c + reach)
    fx = px[:, :, None, :] - c[..., 0, None, None]
    fy = py[:, :, :, None] - c[..., 1, None, None]
    ex, ey = e[..., 0, None, None], e[..., 1, None, None]
    qa = ((fy * ex - fx * ey) / radius[:, 0][None, :, None, None]) ** 2
    qb = ((fx * ex + fy * ey) / radius[:, 1][None, :, None, None]) ** 2
    q = np.where(square[None, :, None, None], qa * qa + qb * qb, qa + qb) if square.any() else qa + qb
    _scatter(top, q <= 1.0, px, py, rank)


def _quads(top, rank, q):
    px, py = _grid(q.min(axis=2), q.max(axis=2))
    nxt = np.roll(q, -1, axis=2)
    area = (q[..., 0] * nxt[..., 1] - nxt[..., 0] * q[..., 1]).sum(-1)  # twice the signed area
    sign = np.sign(area)[..., None, None]
    cov = np.broadcast_to((np.abs(area) > 1.0)[..., None, None], (*q.shape[:2], py.shape[2], px.shape[2])).copy()
    for k in range(4):
        e = nxt[:, :, k] - q[:, :, k]
        sx = (px[:, :, None, :] - q[:, :, k, 0, None, None]) * e[..., 1, None, None]
        sy = (py[:, :, :, None] - q[:, :, k, 1, None, None]) * e[..., 0, None, None]
        cov &= (sx - sy) * sign <= 0
    _scatter(top, cov, px, py, rank)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.sqrt((v * v).sum(-1, keepdims=True))
    return np.where(n > 1e-3, v / np.maximum(n, 1e-6), np.array([0.0, -1.0], np.float32)).astype(np.float32)


def _pattern(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    if kind == "bands":
        return np.floor(u) % 2 == 1
    if kind == "split":
        return v > 0
    if kind == "checks":
        return (np.floor(u) + np.floor(v)) % 2 == 1
    if kind == "spots":
        fu, fv = u - np.floor(u) - 0.5, v - np.floor(v) - 0.5
        return fu * fu + fv * fv < 0.09
    return np.zeros(u.shape, bool)


def paint(frames: np.ndarray, owner: np.ndarray, index: int, posed: Posed, pattern: str, pattern_scale: float) -> None:
    """Paint ``posed`` over ``frames [T, H, W, 3]`` and write ``index`` into ``owner [T, H, W]``."""
    rig, J, D, ppu = posed.rig, posed.joints, posed.depth, posed.ppu
    t_n, h, w = owner.shape
    nc, nb = len(rig.cap_joints), len(rig.blob_joints)
    cap_r = np.maximum(rig.cap_radius * ppu, MIN_RADIUS)
    blob_r = np.maximum(rig.blob_radius * ppu, MIN_RADIUS)

    ca, cb = J[:, rig.cap_joints[:, 0]], J[:, rig.cap_joints[:, 1]]
    bc = J[:, rig.blob_joints[:, 0]].copy()
    if (rig.blob_facing >= 0).any():
        f = rig.blob_facing
        bc[(f >= 0) & (D[:, rig.blob_joints[:, 0]] <= D[:, np.maximum(f, 0)])] = FAR
    be = _unit(J[:, rig.blob_joints[:, 2]] - J[:, rig.blob_joints[:, 1]])
    quads = J[:, rig.quad_joints[:, :4]]
    raw_depth = np.concatenate(
        [0.5 * (D[:, rig.cap_joints[:, 0]] + D[:, rig.cap_joints[:, 1]]), D[:, rig.blob_joints[:, 0]],
         D[:, rig.quad_joints[:, :4]].mean(axis=2)], axis=1)  # [T, N]
    order = np.argsort(raw_depth + rig.bias, axis=1, kind="stable")
    rank = np.empty(order.shape, np.uint8)
    np.put_along_axis(rank, order, np.arange(1, order.shape[1] + 1, dtype=np.uint8)[None].repeat(t_n, 0), axis=1)

    top = np.zeros((t_n, h, w), np.uint8)
    if nc:
        _capsules(top, rank[:, :nc], ca, cb, cap_r)
    if nb:
        _blobs(top, rank[:, nc : nc + nb], bc, be, blob_r, rig.blob_square)
    if len(rig.quad_joints):
        _quads(top, rank[:, nc + nb :], quads)

    hit = np.flatnonzero(top)
    if hit.size == 0:
        return
    tp = hit // (h * w)
    win = order[tp, top.reshape(-1)[hit].astype(np.int64) - 1]
    colour = rig.base[win]
    if pattern != "plain" and rig.patterned.any():
        x = (hit % w).astype(np.float32) + 0.5
        y = ((hit // w) % h).astype(np.float32) + 0.5
        u, v = _local(rig, J, tp, win, x, y, ca, cb, bc, be, nc, nb)
        period = max(pattern_scale * ppu, 1.5)
        spot = _pattern(pattern, u / period, v / period) & rig.patterned[win]
        colour = np.where(spot[:, None], rig.accent[win], colour)
    shade = np.where(raw_depth[tp, win] < D[tp, 0] - 0.03, FAR_SHADE, 1.0).astype(np.float32)
    frames.reshape(-1, 3)[hit] = colour * shade[:, None]
    owner.reshape(-1)[hit] = index


def _local(rig, J, tp, win, x, y, ca, cb, bc, be, nc, nb):
    """(along, across) pixel coordinates of each hit pixel inside its winning primitive."""
    u = np.zeros(win.shape, np.float32)
    v = np.zeros(win.shape, np.float32)
    m = win < nc
    if m.any():
        i, t = win[m], tp[m]
        a, d = ca[t, i], cb[t, i] - ca[t, i]
        length = np.sqrt((d * d).sum(-1)) + 1e-6
        fx, fy = x[m] - a[:, 0], y[m] - a[:, 1]
        u[m] = (fx * d[:, 0] + fy * d[:, 1]) / length
        v[m] = (fy * d[:, 0] - fx * d[:, 1]) / length
    m = (win >= nc) & (win < nc + nb)
    if m.any():
        i, t = win[m] - nc, tp[m]
        c, e = bc[t, i], be[t, i]
        fx, fy = x[m] - c[:, 0], y[m] - c[:, 1]
        u[m] = fx * e[:, 0] + fy * e[:, 1]
        v[m] = fy * e[:, 0] - fx * e[:, 1]
    m = win >= nc + nb
    if m.any():
        i, t = win[m] - nc - nb, tp[m]
        q = rig.quad_joints[i]
        a = J[t, q[:, 4]]
        e = _unit(J[t, q[:, 5]] - a)
        fx, fy = x[m] - a[:, 0], y[m] - a[:, 1]
        u[m] = fx * e[:, 0] + fy * e[:, 1]
        v[m] = fy * e[:, 0] - fx * e[:, 1]
    return u, v
