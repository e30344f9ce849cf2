"""mch deliveries."""
