"""Poses: keypoint formats and mappings, the OpenPose renderer, augmentation and smoothing.

Importing this package is light (no torch, no OpenCV); the functions import what they need.

    from motionctx.pose import load_poses, convert, scale_bones, render_video
"""

from motionctx.pose.augment import sample_bone_factors, scale_bones, scale_bones_array, tree_order
from motionctx.pose.files import load_poses, read_openpose_json, read_poses, save_poses
from motionctx.pose.mapping import KeypointMapping, apply_mapping, convert, find_mappings, register_mapping
from motionctx.pose.pipeline import AugmentOptions, RenderOptions, SmoothingOptions, prepare_poses, render_prepared
from motionctx.pose.render import draw_openpose, render_poses, render_video
from motionctx.pose.skeletons import (
    COCO_WHOLEBODY_133,
    OPENPOSE_18,
    OPENPOSE_134,
    get_skeleton,
    register_skeleton,
    skeleton_names,
)
from motionctx.pose.smooth import interpolate_gaps, one_euro, savgol
from motionctx.pose.transform import bbox, fit_to_size, normalize_bbox

__all__ = [
    "COCO_WHOLEBODY_133",
    "OPENPOSE_18",
    "OPENPOSE_134",
    "AugmentOptions",
    "KeypointMapping",
    "RenderOptions",
    "SmoothingOptions",
    "apply_mapping",
    "bbox",
    "convert",
    "draw_openpose",
    "find_mappings",
    "fit_to_size",
    "get_skeleton",
    "interpolate_gaps",
    "load_poses",
    "normalize_bbox",
    "one_euro",
    "prepare_poses",
    "read_openpose_json",
    "read_poses",
    "register_mapping",
    "register_skeleton",
    "render_poses",
    "render_prepared",
    "render_video",
    "sample_bone_factors",
    "save_poses",
    "savgol",
    "scale_bones",
    "scale_bones_array",
    "skeleton_names",
    "tree_order",
]
