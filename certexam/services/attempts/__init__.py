"""An attempt's life: drawing a form and starting, autosave and flags, the paper, submit, expiry, practice tests, proctor actions."""
