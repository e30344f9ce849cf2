"""mch indicators."""
