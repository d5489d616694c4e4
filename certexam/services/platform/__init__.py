"""What every feature stands on: the audit log, mail, uploads, backup, and the one clock and calendar."""
