"""lsnn.common: the one neutral leaf that every wing may import (DESIGN.md "Layout").

It holds only what two or more wings need and what belongs to none of them:

- :mod:`lsnn.common.files`: atomic file writes (temporary file + rename, outputs readable as the
  umask allows), lock files that never follow a symbolic link;
- :mod:`lsnn.common.jsonsafe`: plain JSON values from numpy/pandas values (NaN -> null), strict JSON;
- :mod:`lsnn.common.nwb`: the NWB annotation convention (Neo blocks with trial annotations through NWB);
- :mod:`lsnn.common.version`: the package version and the git commit, for provenance.

It imports no other ``lsnn`` folder and, at import, nothing beyond the standard library.
"""

from .version import __version__

__all__ = ["__version__"]
