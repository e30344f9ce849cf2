"""mch risk."""
