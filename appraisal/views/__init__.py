"""The appraisal pages: the appraiser's queue and form, the approvers' decisions, the report."""
