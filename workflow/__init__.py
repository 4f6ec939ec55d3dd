"""The editors' workflow: flags, cases and journal numbers, crisis periods, users and the audit log (one database)."""
