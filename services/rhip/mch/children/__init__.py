"""mch children: child health management 0–6 with eye care (DOMAIN §3.3, §3.4)."""
