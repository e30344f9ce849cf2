"""mch pregnancies."""
