"""Close of day (`days`): the steps that move the fund's business date, one day at a time."""
