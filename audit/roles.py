"""Who reads the audit trail (see `fund.roles`): the accountant, who answers the auditors."""

ROLE_PERMISSIONS = {"accountant": ["auditlog.view_logentry"]}
