"""identity auth: login, tokens and signing keys, passwords, account administration."""
