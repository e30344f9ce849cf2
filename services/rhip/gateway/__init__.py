"""gateway: the one public gRPC endpoint; routes each call to the cell owning its region."""
