"""``motionctx recipe plan``: what a recipe costs (tokens, parameters, memory, step time) before
anything is loaded. See docs/plan.md."""

from motionctx.plan.gpus import GPUS, Gpu, find_gpu
from motionctx.plan.model import (
    ActivationSetting,
    Moment,
    Network,
    PlannedModel,
    lora_parameters,
    parameter_count,
    trained_parameters,
)
from motionctx.plan.planner import DEFAULT_UTILISATION, Plan, StrategyPlan, plan_model, plan_recipe
from motionctx.plan.workload import Workload, recipe_workload

__all__ = [
    "DEFAULT_UTILISATION",
    "GPUS",
    "ActivationSetting",
    "Gpu",
    "Moment",
    "Network",
    "Plan",
    "PlannedModel",
    "StrategyPlan",
    "Workload",
    "find_gpu",
    "lora_parameters",
    "parameter_count",
    "plan_model",
    "plan_recipe",
    "recipe_workload",
    "trained_parameters",
]
