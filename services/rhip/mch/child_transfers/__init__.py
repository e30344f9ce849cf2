"""mch child transfers: a child's health management and vision record follow the child to
another institution, and to a school-health institution at school entry (DOMAIN §3.3, §3.4)."""
