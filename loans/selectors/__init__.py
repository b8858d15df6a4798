"""Reads of loans that pages, reports and services share, one module per purpose."""
