"""A pregnancy\x27s management moving to another institution of the cell (DOMAIN §3.1)."""
