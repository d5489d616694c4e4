"""Accounts: candidate registration, sign-in with lockout, password resets, staff accounts, API tokens, organisations."""
