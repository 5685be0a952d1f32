"""lsnn.app: the application layer above the four wings (DESIGN.md "Layout").

The ``lsnn`` command (:mod:`lsnn.app.cli`, one module per subcommand in :mod:`lsnn.app.commands`) and the
pipelines that chain the wings: the demo (:mod:`lsnn.app.demo`), the reproduction of the papers' tables
and figures (:mod:`lsnn.app.reproduce`; sequential MNIST of the NeurIPS paper in :mod:`lsnn.app.smnist`;
the published numbers in :mod:`lsnn.app.published`), the
figures of a run or results folder (:mod:`lsnn.app.render`), the data of those figures from trained runs
(:mod:`lsnn.app.episodes`), the poster's introduction panel (:mod:`lsnn.app.intro`) and the analysis of
spike files and count tables (:mod:`lsnn.app.analyze`). It may import every wing; no wing imports it.
"""
