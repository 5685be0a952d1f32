"""lsnn.figures (see DESIGN.md "Layout")."""
