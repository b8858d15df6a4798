"""The pure loan core: Decimal and dates, no database (schedule, day count, replay engine)."""
