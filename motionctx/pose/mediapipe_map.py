"""MediaPipe Holistic landmarks -> ``openpose_134``, as index tables (no mediapipe import).

Holistic returns, for one person, 33 body landmarks, 21 per hand and a 468-point face mesh.
Estimators stack them into one array in the order below (:data:`HOLISTIC_PARTS`), 543 points in
all, and map it with :data:`HOLISTIC_TO_OPENPOSE_134` through
:func:`motionctx.pose.mapping.apply_mapping`:

- body: copies of the matching landmarks; the **neck is the midpoint of the shoulders** (its score
  the lower of theirs); the OpenPose big toe is MediaPipe's foot index (the tip of the foot) and
  there is **no small toe**, so both small toes are always missing (score 0);
- hands: both use OpenPose's 21-point order already (wrist, then four joints per finger from the
  thumb to the little finger): copies;
- face: 68 points of the iBUG/OpenPose layout picked from the mesh (:data:`FACE_68_FROM_MESH`).

Sides are the subject's own (MediaPipe's ``left_*`` landmarks and ``left_hand`` are the person's
left, like OpenPose's), so no mirroring is involved.
"""

from __future__ import annotations

from motionctx.pose.mapping import KeypointMapping

__all__ = [
    "BODY_FROM_POSE",
    "FACE_68_FROM_MESH",
    "HOLISTIC_PARTS",
    "HOLISTIC_SIZE",
    "HOLISTIC_TO_OPENPOSE_134",
    "POSE_LANDMARKS",
]

#: MediaPipe Pose's 33 landmark names, in its order (sides are the subject's).
POSE_LANDMARKS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

#: Where each Holistic part sits in the stacked 543-point array: name -> (start, stop).
HOLISTIC_PARTS = {
    "pose": (0, 33),
    "left_hand": (33, 54),
    "right_hand": (54, 75),
    "face": (75, 543),
}
HOLISTIC_SIZE = 543

#: Pose landmarks for the 18 OpenPose body points then the 6 feet points of ``openpose_134``
#: (left big toe, small toe, heel, right big toe, small toe, heel). Two indices: their midpoint;
#: none: missing.
BODY_FROM_POSE: tuple[tuple[int, ...], ...] = (
    (0,),  # nose
    (11, 12),  # neck: midpoint of the shoulders
    (12,), (14,), (16,),  # right shoulder, elbow, wrist
    (11,), (13,), (15,),  # left shoulder, elbow, wrist
    (24,), (26,), (28,),  # right hip, knee, ankle
    (23,), (25,), (27,),  # left hip, knee, ankle
    (5,), (2,), (8,), (7,),  # right eye, left eye, right ear, left ear
    (31,), (), (29,),  # left big toe (foot index), small toe (none), heel
    (32,), (), (30,),  # right big toe, small toe, heel
)  # fmt: skip

#: Face-mesh vertex for each of the 68 face points (iBUG order: "right" is the subject's right,
#: the left of a frontal image). Picked by walking the mesh's own contours (face oval, brows, eyes,
#: lips, nose) and spacing the points along each contour as the 68-point layout spaces them; both
#: halves are mirror images of each other in the mesh's left/right vertex pairing.
FACE_68_FROM_MESH: tuple[int, ...] = (
    # 0-16 jaw, from the right temple down to the chin (8, vertex 152) and up to the left temple
    127, 234, 132, 58, 172, 136, 149, 176, 152, 400, 378, 365, 397, 288, 361, 454, 356,
    # 17-21 right brow, outer to inner (upper edge); 22-26 left brow, inner to outer
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    # 27-30 nose bridge from between the eyes to the tip; 31-35 nose base, right wing to left wing
    168, 197, 5, 1, 98, 97, 2, 326, 327,
    # 36-41 right eye: outer corner, upper lid x2, inner corner, lower lid x2
    33, 160, 158, 133, 153, 144,
    # 42-47 left eye: inner corner, upper lid x2, outer corner, lower lid x2
    362, 385, 387, 263, 373, 380,
    # 48-59 outer lips: right corner, upper lip to the left corner (54), lower lip back
    61, 39, 37, 0, 267, 269, 291, 321, 405, 17, 181, 91,
    # 60-67 inner lips: right corner, upper, left corner (64), lower
    78, 81, 13, 311, 308, 402, 14, 178,
)  # fmt: skip


def _sources() -> tuple[tuple[int, ...], ...]:
    lh, rh, face = (HOLISTIC_PARTS[p][0] for p in ("left_hand", "right_hand", "face"))
    return (
        BODY_FROM_POSE
        + tuple((face + v,) for v in FACE_68_FROM_MESH)
        + tuple((lh + i,) for i in range(21))
        + tuple((rh + i,) for i in range(21))
    )


#: The whole mapping: 134 ``openpose_134`` points from the stacked 543 Holistic points. The
#: source format ``mediapipe_holistic_543`` is a layout, not a registered Skeleton: apply the
#: mapping with :func:`~motionctx.pose.mapping.apply_mapping`.
HOLISTIC_TO_OPENPOSE_134 = KeypointMapping("mediapipe_holistic_543", "openpose_134", _sources())
