"""lsnn.analysis (see DESIGN.md "Layout")."""
