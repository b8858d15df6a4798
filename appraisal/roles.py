"""What each role may do with appraisals (granted on every migrate, see fund/roles.py).

Appraisers also hold `loans.appraise_loan` and approvers `loans.decide_loan` (declared by loans).
Co-op users see none of an appraisal: only the loan's status and a rejection's reason.
"""

_VIEW = [
    "appraisal.view_appraisal",
    "appraisal.view_financialstatement",
    "appraisal.view_cashflowyear",
    "appraisal.view_criterionrating",
    "appraisal.view_scoringcriterion",
    "appraisal.view_appraisalrules",
]

ROLE_PERMISSIONS = {
    "appraiser": [
        *_VIEW,
        "appraisal.add_appraisal",
        "appraisal.change_appraisal",
        # Correcting the collateral recorded during the appraisal means removing an item too.
        "loans.delete_collateral",
    ],
    "approver": _VIEW,
    "fund_officer": _VIEW,
}
