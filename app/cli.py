"""The ``lsnn`` command: thin argument parsing, one function of a wing or pipeline per subcommand.

    lsnn demo         the main job: train SFA and LIF on STORE-RECALL, validate in Brian2, analyse, report
    lsnn train        train an LSNN with BPTT (+ DEEP R) on a task; writes a run folder
    lsnn evaluate     score a finished run on its held-out set (sequential MNIST: the 10,000 test digits)
    lsnn validate     re-simulate a trained run in Brian2 and compare with PyTorch, spike for spike
    lsnn reproduce    a table or figure of the eLife paper: train every run, validate, tabulate
    lsnn sweep        every combination of a grid of configuration values x seeds (locally or on SLURM)
    lsnn figures      the paper's figures of a run folder or a results folder
    lsnn simulate     simulate a saved NetworkSpec on saved inputs in Brian2 (or print its equations)
    lsnn intro        the poster's introduction panel: one ALIF neuron under a current step
    lsnn analyze      spike-code analyses (mixed selectivity, sequences) of count tables or spike files
    lsnn data         speech corpora: the offline synthetic corpus (synth-speech), a corpus folder checked (check)

Each subcommand's module (``lsnn.app.commands.<name>``) is light to import: it declares its arguments,
and the wing it calls (Brian2, PyTorch, Neo/Elephant) is imported only when that subcommand runs, so
``lsnn --help`` answers at once and ``lsnn analyze`` runs where PyTorch is not installed.

Errors of the package (bad files, options, devices, run folders) end the command with one line,
``lsnn <command>: error: ...``, and exit status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
import warnings

from lsnn.common.version import __version__

#: Subcommands in help order: name -> one-line help (each lives in lsnn.app.commands.<module>).
COMMANDS = {
    "demo": ("demo", "the main job: train SFA and LIF on STORE-RECALL, validate in Brian2, analyse, report"),
    "train": ("train", "train an LSNN with BPTT (+ DEEP R) on a task; writes a run folder"),
    "evaluate": ("evaluate", "score a finished run on its held-out set (sequential MNIST: the 10,000 test digits)"),
    "validate": ("validate", "re-simulate a trained run in Brian2 and compare with PyTorch, spike for spike"),
    "reproduce": ("reproduce", "reproduce a table or figure of the eLife paper: train every run, validate in Brian2, tabulate"),
    "sweep": ("sweep", "train every combination of a grid of configuration values x seeds (locally or on SLURM), tabulate"),
    "figures": ("figures", "draw the paper's figures of a run folder or a reproduction/demo results folder"),
    "simulate": ("simulate", "simulate a saved NetworkSpec on saved inputs in Brian2 (or print its equations)"),
    "intro": ("intro", "the poster's introduction panel: one ALIF neuron under a current step (Brian2)"),
    "data": ("data", "speech corpora: build the offline synthetic corpus (synth-speech) or check a corpus folder"),
    "analyze": ("analyze", "spike-code analyses (mixed selectivity, sequences) of count tables or spike files"),
}


class CommandError(Exception):
    """A failure to report as one line (raised by the command modules for their own checks)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lsnn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lsnn {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug messages instead of one-line errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        importlib.import_module(f"lsnn.app.commands.{module}").add_parser(sub, name, help_text)
    return parser


def _quiet_third_party_warnings() -> None:
    """Ignore known-harmless notices of pinned releases: pyparsing's deprecations (called by Brian2
    2.9) and pynwb's positional-argument FutureWarning."""
    warnings.filterwarnings("ignore", message=".*deprecated.*", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*deprecated.*", module="brian2")
    warnings.filterwarnings("ignore", message="validate: Using positional arguments", category=FutureWarning)


def _configure_logging(debug: bool) -> None:
    """The package's log messages (e.g. compiling the kernel) on stderr; other libraries' only as errors."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.ERROR, format="%(name)s: %(message)s")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[lsnn] %(message)s"))
    lsnn_logger = logging.getLogger("lsnn")
    lsnn_logger.handlers[:] = [handler]
    lsnn_logger.setLevel(logging.DEBUG if debug else logging.INFO)
    lsnn_logger.propagate = False


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (ValueError, FileNotFoundError, CommandError, TypeError, RuntimeError, KeyError, OSError)):
        return text
    return f"{type(exc).__name__}: {text} (run with --debug for the traceback)"


#: A negative number with an optional unit (``-200ms``, ``-0.5s``, ``-1``): a value, never an option.
_NEGATIVE_VALUE = re.compile(r"^-(\d+\.?\d*|\.\d+)(e-?\d+)?[a-zA-Z]*$")


def _protect_negative_values(argv: list[str]) -> list[str]:
    """argparse takes ``-200ms`` for an option; a leading space makes it a value (times and numbers are
    read with surrounding spaces stripped), so ``--window -200ms 1s`` works as documented."""
    return [" " + a if _NEGATIVE_VALUE.match(a) else a for a in argv]


def main(argv: list[str] | None = None) -> int:
    """Run the ``lsnn`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(_protect_negative_values(sys.argv[1:] if argv is None else list(argv)))
    _configure_logging(args.debug)
    with warnings.catch_warnings():
        _quiet_third_party_warnings()
        if args.debug:
            return int(args.run(args) or 0)
        try:
            return int(args.run(args) or 0)
        except KeyboardInterrupt as exc:
            detail = f" ({exc})" if str(exc) else ""
            print(f"lsnn {args.command}: interrupted{detail}; finished stages and checkpoints are kept (rerun to continue).",
                  file=sys.stderr)
            return 130
        except SystemExit:
            raise
        except Exception as exc:  # noqa: BLE001 - the one error path of the command line
            print(f"lsnn {args.command}: error: {_one_line(exc)}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
