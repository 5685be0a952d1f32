"""Tasks of both papers behind one interface (:class:`Task`, :class:`TaskBatch`); see ``base``."""

from .base import Task, TaskBatch, window_accuracy, window_cross_entropy, window_means
from .delayed_xor import DelayedXOR
from .duplication_reversal import DuplicationReversal
from .l2l import L2LSines, L2LTargetNets
from .smnist import SequentialMNIST
from .speech import SpeechCommands, TimitFrames
from .store_recall import StoreRecall
from .store_recall_20d import StoreRecall20D
from .twelve_ax import TwelveAX

#: Task classes by command-line name.
TASKS = {"store_recall": StoreRecall, "store_recall_20d": StoreRecall20D, "delayed_xor": DelayedXOR, "12ax": TwelveAX, "duplication_reversal": DuplicationReversal,
         "smnist": SequentialMNIST, "l2l_target_nets": L2LTargetNets, "l2l_sines": L2LSines, "timit": TimitFrames, "gsc": SpeechCommands}

__all__ = ["TASKS", "DelayedXOR", "DuplicationReversal", "L2LSines", "L2LTargetNets", "SequentialMNIST", "SpeechCommands", "StoreRecall", "StoreRecall20D", "TimitFrames", "TwelveAX", "Task", "TaskBatch", "window_accuracy", "window_cross_entropy", "window_means"]
