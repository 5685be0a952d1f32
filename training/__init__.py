"""lsnn.training (see DESIGN.md "Layout")."""
