"""rhip mch: maternal and child health (DOMAIN §3)."""
