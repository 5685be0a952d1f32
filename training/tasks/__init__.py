"""Tasks of both papers behind one interface (:class:`Task`, :class:`TaskBatch`); see ``base``."""

from .base import Task, TaskBatch, window_accuracy, window_cross_entropy, window_means
from .delayed_xor import DelayedXOR
from .store_recall import StoreRecall

#: Task classes by command-line name.
TASKS = {"store_recall": StoreRecall, "delayed_xor": DelayedXOR}

__all__ = ["TASKS", "DelayedXOR", "StoreRecall", "Task", "TaskBatch", "window_accuracy", "window_cross_entropy", "window_means"]
